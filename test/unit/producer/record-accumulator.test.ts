import { describe, expect, it } from 'vitest'
import type { DeliverySink } from '../../../src/producer/delivery.ts'
import { initialBatchBytes, RecordAccumulator } from '../../../src/producer/record-accumulator.ts'
import { estimateRecordBytes } from '../../../src/protocol/records/batch-builder.ts'

const sink: DeliverySink = { delivered() {}, failed() {} }

function record(bytes: number) {
  const r = { timestamp: 0, key: null, value: Buffer.alloc(bytes), headers: null }
  return { record: r, size: estimateRecordBytes(r) }
}

describe('RecordAccumulator', () => {
  it('fills one batch per partition until the next record would overflow batchBytes', () => {
    const closed: string[] = []
    const accumulator = new RecordAccumulator({
      batchBytes: 1000,
      lingerMs: 10,
      onBatchClosed: (topic, partition) => closed.push(`${topic}:${partition}`),
    })
    const { record: r, size } = record(100)
    let ready: unknown
    for (let i = 0; i < 7; i++) ready = accumulator.append('t', 0, r, size, sink, i, 0)
    expect(ready).toBeUndefined()
    const queue = accumulator.queue('t', 0)
    expect(queue.batches).toHaveLength(1)
    expect(closed).toEqual([])
    // Keep appending until a second batch opens: the first is then closed and ready without lingering.
    let appended = 7
    while (queue.batches.length === 1) {
      ready = accumulator.append('t', 0, r, size, sink, appended++, 0)
    }
    expect(ready).toBe(queue.batches[0])
    expect(queue.batches[0]!.closed).toBe(true)
    expect(queue.batches[0]!.sizeBytes).toBeLessThanOrEqual(1000)
    expect(closed).toEqual(['t:0'])
    expect(accumulator.isReady(queue, 0)).toBe(true)
  })

  it("starts a partition's next batch with room for about what its last batch held", () => {
    const accumulator = new RecordAccumulator({ batchBytes: 64 * 1024, lingerMs: 10 })
    const { record: r, size } = record(1000)
    const queue = accumulator.queue('t', 0)
    const quiet = accumulator.queue('t', 1)
    let index = 0
    accumulator.append('t', 1, r, size, sink, index++, 0)
    // The first batch knows nothing yet and starts small.
    expect(queue.lastBatchBytes).toBe(0)
    while (queue.batches.length < 2) accumulator.append('t', 0, r, size, sink, index++, 0)
    const full = queue.batches[0]!
    const next = queue.batches[1]!
    expect(full.builder.capacityBytes).toBeGreaterThanOrEqual(full.sizeBytes)
    expect(queue.lastBatchBytes).toBe(full.sizeBytes)
    expect(full.sizeBytes).toBeGreaterThan(60 * 1024)
    // A full batch before it: the next one starts at the target and never grows.
    expect(next.builder.capacityBytes).toBe(64 * 1024)
    // The partition that got one record keeps its small buffer.
    expect(quiet.batches[0]!.builder.capacityBytes).toBeLessThanOrEqual(2048)
  })

  it('sizes a first batch buffer from the last batch, a quarter over, within 1 KiB and the target', () => {
    expect(initialBatchBytes(0, 16_384)).toBe(1024)
    expect(initialBatchBytes(4000, 16_384)).toBe(5000)
    expect(initialBatchBytes(16_000, 16_384)).toBe(16_384)
    expect(initialBatchBytes(100, 512)).toBe(512)
  })

  it('makes an open batch ready after lingerMs, and at once while flushing', async () => {
    const accumulator = new RecordAccumulator({ batchBytes: 16_384, lingerMs: 10 })
    const { record: r, size } = record(10)
    accumulator.append('t', 1, r, size, sink, 0, 1000)
    const queue = accumulator.queue('t', 1)
    expect(accumulator.isReady(queue, 1005)).toBe(false)
    expect(accumulator.readyAt(queue)).toBe(1010)
    expect(accumulator.isReady(queue, 1010)).toBe(true)

    const flushed = accumulator.flush()
    expect(accumulator.isReady(queue, 1000)).toBe(true)
    const batch = accumulator.take(queue)
    expect(batch.closed).toBe(true)
    let done = false
    void flushed.then(() => {
      done = true
    })
    await Promise.resolve()
    expect(done).toBe(false)
    expect(accumulator.completed(batch)).toBe(size)
    await flushed
    expect(accumulator.isFlushing).toBe(false)
  })

  it('puts a failed batch back ahead of newer batches and holds its backoff', () => {
    const accumulator = new RecordAccumulator({ batchBytes: 100, lingerMs: 0 })
    const { record: r, size } = record(80)
    for (let i = 0; i < 3; i++) accumulator.append('t', 0, r, size, sink, i, 0)
    const queue = accumulator.queue('t', 0)
    const first = accumulator.take(queue)
    const second = accumulator.take(queue)
    expect(queue.batches).toHaveLength(1)
    first.attempts = 1
    first.retryAt = 50
    second.attempts = 1
    second.retryAt = 50
    accumulator.requeue(second)
    accumulator.requeue(first)
    expect(queue.batches.map((b) => b.ordinal)).toEqual([first.ordinal, second.ordinal, first.ordinal + 2])
    expect(queue.awaitingInFlight).toBe(true)
    expect(accumulator.isReady(queue, 49)).toBe(false)
    expect(accumulator.isReady(queue, 50)).toBe(true)
  })
})
