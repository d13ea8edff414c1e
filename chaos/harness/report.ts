/** The report: a table on stdout, and the rows as JSON in chaos/results/<date>.json and latest.json. */

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ResultRow } from './types.ts'

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url))

const columns: [string, (row: ResultRow) => string][] = [
  ['scenario', (r) => r.scenario],
  ['protocol', (r) => r.protocol],
  ['guarantee', (r) => r.guarantee],
  ['produced', (r) => String(r.produced)],
  ['lost', (r) => String(r.lost)],
  ['duplicated', (r) => String(r.duplicated)],
  ['max dup window', (r) => String(r.maxDuplicateWindow)],
  ['uncommitted window', (r) => String(r.maxUncommittedWindow)],
  ['backwards commits', (r) => String(r.backwardsCommits)],
  [
    'stops left uncommitted',
    (r) => (r.stopsLeftUncommitted === undefined ? '–' : String(r.stopsLeftUncommitted)),
  ],
  ['aborted reads', (r) => String(r.abortedReads)],
  ['torn txns', (r) => String(r.tornTransactions)],
  ['non-monotonic', (r) => String(r.nonMonotonic)],
  ['faults', (r) => String(r.faults)],
  ['passed', (r) => (r.passed ? 'yes' : 'NO')],
]

/** The rows as a Markdown table (also what the README's Reliability section shows). */
export function markdownTable(rows: readonly ResultRow[]): string {
  const header = `| ${columns.map(([name]) => name).join(' | ')} |`
  const rule = `| ${columns.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`
  const body = rows.map((row) => `| ${columns.map(([, cell]) => cell(row)).join(' | ')} |`)
  return [header, rule, ...body].join('\n')
}

export interface RunSummary {
  startedAt: string
  finishedAt: string
  size: string
  node: string
  rows: ResultRow[]
}

/** Writes `<date>.json` and `latest.json`; returns the dated file's path. */
export function writeResults(summary: RunSummary, dir = resultsDir): string {
  mkdirSync(dir, { recursive: true })
  const stamp = summary.startedAt.replace(/[:.]/g, '-')
  const path = join(dir, `${stamp}.json`)
  const text = `${JSON.stringify(summary, null, 2)}\n`
  writeFileSync(path, text)
  writeFileSync(join(dir, 'latest.json'), text)
  return path
}
