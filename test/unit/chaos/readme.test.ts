import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import type { RunSummary } from '../../../chaos/harness/report.ts'
import { currentReliability, renderReliability } from '../../../chaos/readme.ts'

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

it("README's Reliability table is the one generated from chaos/results/latest.json (npm run chaos:readme)", () => {
  const summary = JSON.parse(read('chaos/results/latest.json')) as RunSummary
  expect(summary.size).toBe('full')
  expect(currentReliability(read('README.md'))).toBe(renderReliability(summary))
})
