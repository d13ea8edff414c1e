/** The result rows the benchmark writes (bench/results/*.json) and their Markdown rendering. */

import { spread } from './stats.ts'
import type { ChildReport, Settings } from './task.ts'

/**
 * One client in one case. Figures are medians over `runs` runs (min and max of the throughput alongside);
 * null where a figure does not apply to the case, or when the client could not run it (`note` says why).
 */
export interface ResultRow {
  case: string
  client: string
  version: string | null
  messages: number | null
  bytes: number | null
  msgsPerSec: number | null
  msgsPerSecMin: number | null
  msgsPerSecMax: number | null
  mbPerSec: number | null
  p50Ms: number | null
  p99Ms: number | null
  p999Ms: number | null
  /** Rebalance cases: the longest time a partition went unprocessed after a second member started. */
  pauseMs: number | null
  peakRssMb: number | null
  runs: number
  settings: Settings | null
  note: string | null
}

const round = (value: number, digits: number) => Number(value.toFixed(digits))

function medianOf(values: readonly (number | null)[], digits: number): number | null {
  const present = values.filter((value): value is number => value !== null)
  return present.length === 0 ? null : round(spread(present).median, digits)
}

/** Folds the reports of the runs of one client in one case into a row. */
export function summarize(caseName: string, reports: readonly ChildReport[]): ResultRow {
  const first = reports[0]
  if (first === undefined) throw new RangeError('summarize needs at least one report')
  const rates = reports.map((report) => (report.messages / report.elapsedMs) * 1000)
  const mbRates = reports.map((report) => report.bytes / (1024 * 1024) / (report.elapsedMs / 1000))
  const rateSpread = spread(rates)
  // A rebalance run counts records only to show processing went on; its figure is the pause, not a rate.
  const isPause = reports.some((report) => report.pauseMs != null)
  return {
    case: caseName,
    client: first.client,
    version: first.version,
    messages: first.messages,
    bytes: first.bytes,
    msgsPerSec: isPause ? null : Math.round(rateSpread.median),
    msgsPerSecMin: isPause ? null : Math.round(rateSpread.min),
    msgsPerSecMax: isPause ? null : Math.round(rateSpread.max),
    mbPerSec: isPause ? null : medianOf(mbRates, 2),
    p50Ms: medianOf(
      reports.map((report) => report.p50Ms),
      2,
    ),
    p99Ms: medianOf(
      reports.map((report) => report.p99Ms),
      2,
    ),
    p999Ms: medianOf(
      reports.map((report) => report.p999Ms),
      2,
    ),
    pauseMs: medianOf(
      reports.map((report) => report.pauseMs ?? null),
      0,
    ),
    peakRssMb: medianOf(
      reports.map((report) => report.peakRssMb),
      1,
    ),
    runs: reports.length,
    settings: first.settings,
    note: null,
  }
}

/** A row for a client that has no figure for the case. */
export function unmeasured(
  caseName: string,
  client: string,
  note: string,
  version: string | null = null,
): ResultRow {
  return {
    case: caseName,
    client,
    version,
    messages: null,
    bytes: null,
    msgsPerSec: null,
    msgsPerSecMin: null,
    msgsPerSecMax: null,
    mbPerSec: null,
    p50Ms: null,
    p99Ms: null,
    p999Ms: null,
    pauseMs: null,
    peakRssMb: null,
    runs: 0,
    settings: null,
    note,
  }
}

const dash = '—'
const fmt = (value: number | null, digits = 0) =>
  value === null
    ? dash
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** The Markdown table of the README's Performance section, one line per row, notes below. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const lines = [
    '| case | client | msg/s (median) | min–max | MB/s | p50 ms | p99 ms | p99.9 ms | pause ms | peak RSS MB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  const notes: string[] = []
  for (const row of rows) {
    let rate = fmt(row.msgsPerSec)
    if (row.note !== null) {
      notes.push(`${row.case} / ${row.client}: ${row.note}`)
      rate = `n/a [${notes.length}]`
    }
    const range = row.msgsPerSecMin === null ? dash : `${fmt(row.msgsPerSecMin)}–${fmt(row.msgsPerSecMax)}`
    lines.push(
      `| ${row.case} | ${row.client} | ${rate} | ${range} | ${fmt(row.mbPerSec, 1)} | ${fmt(row.p50Ms, 1)} | ${fmt(row.p99Ms, 1)} | ${fmt(row.p999Ms, 1)} | ${fmt(row.pauseMs)} | ${fmt(row.peakRssMb)} |`,
    )
  }
  if (notes.length > 0) {
    lines.push('', ...notes.map((note, index) => `[${index + 1}] ${note}`))
  }
  return lines.join('\n')
}

/** The settings each client ran with, per case, for the report. */
export function settingsList(rows: readonly ResultRow[]): string {
  const lines: string[] = []
  for (const row of rows) {
    if (row.settings === null) continue
    const settings = Object.entries(row.settings)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')
    lines.push(`- ${row.case} / ${row.client} ${row.version ?? ''}: ${settings}`)
  }
  return lines.join('\n')
}
