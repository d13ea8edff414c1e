import { describe, expect, it } from 'vitest'
import { buildCases, buildScalingCases } from '../../../bench/lib/cases.ts'
import { runOrder } from '../../../bench/lib/schedule.ts'
import { consumeElapsedMs } from '../../../bench/lib/stats.ts'
import { CALLS_IN_FLIGHT, callShape, type ProduceTask } from '../../../bench/lib/task.ts'

const caseOptions = {
  messages: 1_000_000,
  largeMessages: 200_000,
  commitMessages: 20_000,
  partitions: 6,
  batchBytes: 262_144,
  latencyRatePerSec: 10_000,
  latencySeconds: 10,
  rebalanceWindowMs: 8000,
}

describe('bench schedule', () => {
  it('rotates the client order from one repetition to the next', () => {
    const clients = ['a', 'b', 'c']
    expect([1, 2, 3, 4].map((run) => runOrder(clients, run).join(''))).toEqual(['abc', 'bca', 'cab', 'abc'])
    expect(runOrder([], 2)).toEqual([])
  })

  it('gives every commit policy the consume-100B backlog', () => {
    const cases = buildCases(caseOptions)
    const consume = cases.filter((benchCase) => benchCase.kind === 'consume')
    expect(consume.map((benchCase) => benchCase.name)).toEqual([
      'consume-100B',
      'consume-commit-auto',
      'consume-commit-batch',
      'consume-commit-message',
      'share-consume-100B',
    ])
    for (const benchCase of consume) {
      expect(benchCase).toMatchObject({ backlog: 'consume', backlogMessages: 1_000_000, partitions: 6 })
    }
    expect(consume.map((benchCase) => benchCase.messages)).toEqual([
      1_000_000, 1_000_000, 1_000_000, 20_000, 100_000,
    ])
    expect(consume.filter((benchCase) => benchCase.share === true).map((c) => c.name)).toEqual([
      'share-consume-100B',
    ])
  })

  it('sizes per-call clients so one call carries what samsa puts in one request', () => {
    const task: ProduceTask = {
      kind: 'produce',
      bootstrap: 'x:9092',
      topic: 't',
      partitions: 6,
      messages: 1_000_000,
      sizeBytes: 100,
      batchBytes: 262_144,
    }
    expect(callShape(task)).toEqual({ recordsPerCall: 15_729, callsInFlight: CALLS_IN_FLIGHT })
    expect(callShape({ ...task, sizeBytes: 1024 }).recordsPerCall).toBe(1536)
    // A short run keeps 20 calls to pipeline.
    expect(callShape({ ...task, messages: 20_000 }).recordsPerCall).toBe(1000)
  })

  it('builds scaling cases over partitions, record sizes and backlog sizes', () => {
    const names = buildScalingCases({
      messages: 1_000_000,
      batchBytes: 262_144,
      bytesPerCase: 100 * 2 ** 20,
    }).map((benchCase) => benchCase.name)
    expect(names).toContain('scale-partitions-600-produce')
    expect(names).toContain('scale-size-102400B-consume')
    expect(names).toContain('scale-backlog-3000000-consume')
  })
})

describe('consume clock', () => {
  it('leaves the first delivery out of the rate and scales the span up to every record', () => {
    // 100,000 records, 60,000 in the first batch, the other 40,000 in 400 ms: 1 s for all at that pace.
    expect(consumeElapsedMs(400, 100_000, 60_000)).toBe(1000)
    // Everything in one delivery: no interval to measure, the span is all there is.
    expect(consumeElapsedMs(5, 1000, 1000)).toBe(5)
  })
})
