import { describe, expect, it } from 'vitest'
import type { DeliverySink } from '../../../src/producer/delivery.ts'
import { ProducerBatch } from '../../../src/producer/producer-batch.ts'
import { RecordAccumulator } from '../../../src/producer/record-accumulator.ts'
import { type EncodableRecord, estimateRecordBytes } from '../../../src/protocol/records/batch-builder.ts'

function recordingSink(): DeliverySink & { offsets: Map<number, bigint> } {
  const offsets = new Map<number, bigint>()
  return {
    offsets,
    delivered: (index, _topic, _partition, offset) => offsets.set(index, offset),
    failed: () => {},
  }
}

function record(i: number): EncodableRecord {
  return {
    timestamp: 1_700_000_000_000 + i,
    key: Buffer.from(`k${i}`),
    value: i % 5 === 0 ? null : Buffer.alloc(100, i),
    headers: i % 3 === 0 ? [{ key: Buffer.from('h'), value: Buffer.from(`v${i}`) }] : null,
  }
}

function filledBatch(count: number, sink: DeliverySink): ProducerBatch {
  const batch = new ProducerBatch('t', 0, 1 << 20, 1000, 7)
  for (let i = 0; i < count; i++) batch.append(record(i), estimateRecordBytes(record(i)), sink, i)
  return batch
}

describe('ProducerBatch.split', () => {
  it('reads every record back unchanged from the encoded batch', () => {
    const batch = filledBatch(12, recordingSink())
    expect(batch.builder.records()).toEqual(Array.from({ length: 12 }, (_, i) => record(i)))
  })

  it('cuts a batch into parts within the target size, keeping order, deliveries and memory', () => {
    const sink = recordingSink()
    const batch = filledBatch(40, sink)
    batch.baseSequence = 1000
    batch.producerEpoch = 3
    const parts = batch.split(Math.ceil(batch.sizeBytes / 4))

    expect(parts.length).toBeGreaterThanOrEqual(4)
    expect(parts.reduce((sum, part) => sum + part.recordCount, 0)).toBe(40)
    expect(parts.reduce((sum, part) => sum + part.reservedBytes, 0)).toBe(batch.reservedBytes)
    for (const part of parts) {
      expect(part.sizeBytes).toBeLessThanOrEqual(Math.ceil(batch.sizeBytes / 4))
      expect(part).toMatchObject({ closed: true, createdAt: 1000, ordinal: 7, producerEpoch: 3 })
    }
    // The parts fill the original's sequence range, consecutively.
    let expected = 1000
    for (const part of parts) {
      expect(part.baseSequence).toBe(expected)
      expected += part.recordCount
    }
    // Completing the parts settles the original records, each at its own offset.
    let offset = 500n
    for (const part of parts) {
      part.succeed(offset, -1)
      offset += BigInt(part.recordCount)
    }
    expect([...sink.offsets.entries()].sort((a, b) => a[0] - b[0]).map(([, o]) => o)).toEqual(
      Array.from({ length: 40 }, (_, i) => 500n + BigInt(i)),
    )
    // The original no longer settles anything.
    batch.succeed(0n, -1)
    expect(sink.offsets.get(0)).toBe(500n)
  })

  it('leaves an unsequenced batch unsequenced', () => {
    const parts = filledBatch(10, recordingSink()).split(400)
    expect(parts.every((part) => part.baseSequence === -1)).toBe(true)
  })

  it('orders parts after earlier batches, before later ones, and by split order among themselves', () => {
    const accumulator = new RecordAccumulator({ batchBytes: 1 << 20, lingerMs: 0 })
    const sink = recordingSink()
    accumulator.append('t', 0, record(0), 200, sink, 0, 0)
    const queue = accumulator.queue('t', 0)
    const big = accumulator.take(queue)
    for (let i = 1; i < 20; i++) big.append(record(i), estimateRecordBytes(record(i)), sink, i)
    const later = new ProducerBatch('t', 0, 1 << 20, 0, big.ordinal + 1)
    queue.batches.push(later)

    const parts = big.split(Math.ceil(big.sizeBytes / 2))
    accumulator.requeueSplit(big, parts)
    expect(queue.batches).toEqual([...parts, later])

    // A part that is split again goes ahead of its siblings; a retried part goes back to its own place.
    const first = accumulator.take(queue)
    const second = accumulator.take(queue)
    const pieces = first.split(Math.ceil(first.sizeBytes / 2))
    accumulator.requeueSplit(first, pieces)
    accumulator.requeue(second)
    expect(queue.batches).toEqual([...pieces, second, ...parts.slice(2), later])
    expect(accumulator.incompleteBatchList()).toEqual([...pieces, ...parts.slice(1)])
  })
})
