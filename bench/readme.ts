/**
 * `npm run bench:readme`: rewrites the generated block of the README's Performance section from
 * bench/results/latest.json (`--check` only reports whether it is current).
 */

import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { currentSection, renderReadmeSection, replaceSection } from './lib/readme.ts'
import type { ResultRow } from './lib/results.ts'

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url))
const resultsPath = fileURLToPath(new URL('./results/latest.json', import.meta.url))

const rows = JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultRow[]
const readme = readFileSync(readmePath, 'utf8')
const section = renderReadmeSection(rows)
if (process.argv.includes('--check')) {
  if (currentSection(readme) !== section) {
    process.stderr.write('README.md Performance section is not current: run npm run bench:readme\n')
    process.exit(1)
  }
} else {
  writeFileSync(readmePath, replaceSection(readme, section))
  process.stderr.write('README.md Performance section written from bench/results/latest.json\n')
}
