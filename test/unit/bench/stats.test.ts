import { describe, expect, it } from 'vitest'
import { markdownTable, summarize, unmeasured } from '../../../bench/lib/results.ts'
import { LatencyRecorder, percentile, spread } from '../../../bench/lib/stats.ts'
import type { ChildReport } from '../../../bench/lib/task.ts'

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1)
    expect(percentile(sorted, 0.5)).toBe(500)
    expect(percentile(sorted, 0.99)).toBe(990)
    expect(percentile(sorted, 0.999)).toBe(999)
    expect(percentile([7], 0.99)).toBe(7)
    expect(() => percentile([], 0.5)).toThrow(RangeError)
  })

  it('reports median, min and max of runs in any order', () => {
    expect(spread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30 })
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 })
  })

  it('records latencies up to its capacity and summarises them', () => {
    const recorder = new LatencyRecorder(4)
    for (const latency of [5, 1, 3, 2, 100]) recorder.record(latency)
    expect(recorder.size).toBe(4)
    expect(recorder.summary()).toEqual({ p50Ms: 2, p99Ms: 5, p999Ms: 5 })
  })

  it('folds runs into a row: median throughput with its range, figures that do not apply stay null', () => {
    const report = (elapsedMs: number, peakRssMb: number): ChildReport => ({
      client: 'samsa',
      version: '0.1.0',
      settings: { acks: 'all' },
      elapsedMs,
      messages: 1000,
      bytes: 1024 * 1024,
      p50Ms: null,
      p99Ms: null,
      p999Ms: null,
      peakRssMb,
    })
    const row = summarize('produce-100B', [report(1000, 90), report(500, 100), report(250, 95)])
    expect(row).toMatchObject({
      case: 'produce-100B',
      client: 'samsa',
      msgsPerSec: 2000,
      msgsPerSecMin: 1000,
      msgsPerSecMax: 4000,
      mbPerSec: 2,
      p50Ms: null,
      peakRssMb: 95,
      runs: 3,
      note: null,
    })
  })

  it('renders unmeasured rows as n/a with a numbered note', () => {
    const table = markdownTable([unmeasured('rebalance-pause', 'kcat', 'not yet measured: no scenario')])
    expect(table).toContain('| rebalance-pause | kcat | n/a [1] |')
    expect(table).toContain('[1] rebalance-pause / kcat: not yet measured: no scenario')
  })
})
