/**
 * `npm run chaos`: the crash, rebalance and fault-injection suite, bounded in time and count, on loopback.
 *
 *   npm run chaos                      # the full run (sizes in each scenario's `full`)
 *   npm run chaos -- --size ci         # the CI-sized run
 *   npm run chaos -- --only kills      # scenarios whose name contains "kills"
 *
 * Needs the shared broker (KAFKA_BOOTSTRAP, default 127.0.0.1:9092) for the client-side scenarios, and starts
 * its own rigs for the broker scenarios (one node on port 19092, three nodes on 19192). Prints the table and
 * writes chaos/results/<start time>.json and chaos/results/latest.json. Exits 1 if any row failed.
 *
 * Each member's client log (level CHAOS_LOG, default info) is written beside its ledger; a failed row keeps
 * both and names the directory in its notes (CHAOS_KEEP=1 keeps them for every row).
 */

import { parseArgs } from 'node:util'
import { markdownTable, writeResults } from './harness/report.ts'
import type { ResultRow } from './harness/types.ts'
import { type Size, scenarioList } from './scenarios/index.ts'

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
})
const size = values.size as Size
if (size !== 'full' && size !== 'ci') throw new Error(`--size must be full or ci, got ${values.size}`)
const bootstrap = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:9092'

const startedAt = new Date().toISOString()
const rows: ResultRow[] = []
for (const entry of scenarioList(bootstrap, size)) {
  if (values.only !== undefined && !entry.label.includes(values.only)) continue
  process.stderr.write(`chaos: running ${entry.label}\n`)
  try {
    const produced = await entry.run()
    for (const row of produced) {
      rows.push(row)
      process.stderr.write(
        `chaos: ${entry.label}: ${row.passed ? 'passed' : `FAILED ${row.notes.join('; ')}`} (${Math.round(row.durationMs / 1000)} s)\n`,
      )
    }
  } catch (error) {
    process.stderr.write(
      `chaos: ${entry.label} could not run: ${error instanceof Error ? error.stack : String(error)}\n`,
    )
    rows.push(entry.failed(error))
  }
}
process.stdout.write(`${markdownTable(rows)}\n`)
for (const row of rows) {
  const lines = [...row.notes, ...(row.remarks ?? []).map((remark) => `(not a failure) ${remark}`)]
  if (lines.length > 0)
    process.stdout.write(`- ${row.scenario} ${row.protocol} ${row.guarantee}: ${lines.join('; ')}\n`)
}
if (!values['no-write']) {
  const path = writeResults({
    startedAt,
    finishedAt: new Date().toISOString(),
    size,
    node: process.version,
    rows,
  })
  process.stdout.write(`results: ${path}\n`)
}
process.exitCode = rows.every((row) => row.passed) ? 0 : 1
