import { describe, expect, it } from 'vitest'
import type { DeliverySink } from '../../../src/producer/delivery.ts'
import { IdempotenceState } from '../../../src/producer/idempotence.ts'
import { RecordAccumulator } from '../../../src/producer/record-accumulator.ts'
import { incrementSequence } from '../../../src/producer/sequence-number.ts'
import type { InitProducerIdResponse } from '../../../src/protocol/messages/init-producer-id.ts'

const sink: DeliverySink = { delivered() {}, failed() {} }
const record = { timestamp: 0, key: null, value: Buffer.alloc(10), headers: null }

async function initialized(epoch = 0): Promise<IdempotenceState> {
  const state = new IdempotenceState()
  await state.initialize(async (request) => {
    expect(request.transactionalId).toBeNull()
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: 77n,
      producerEpoch: epoch,
    } as InitProducerIdResponse
  })
  return state
}

/** Encoded size of `record`: length, attributes, two deltas, null key, value length, value, header count. */
const recordBytes = 17

/** A queue with `batches` batches of `perBatch` records each (61 bytes is the batch header). */
function queueWith(batches: number, perBatch: number) {
  const accumulator = new RecordAccumulator({ batchBytes: 61 + recordBytes * perBatch, lingerMs: 0 })
  for (let i = 0; i < batches * perBatch; i++) accumulator.append('t', 0, record, recordBytes, sink, i, 0)
  return { accumulator, queue: accumulator.queue('t', 0) }
}

describe('incrementSequence', () => {
  it('wraps past int32 max to 0 like the broker', () => {
    expect(incrementSequence(5, 3)).toBe(8)
    expect(incrementSequence(0x7fffffff, 1)).toBe(0)
    expect(incrementSequence(0x7ffffffe, 5)).toBe(3)
  })
})

describe('IdempotenceState', () => {
  it('numbers a partition’s batches consecutively by record count and keeps the number on retry', async () => {
    const state = await initialized()
    expect(state.producerId).toBe(77n)
    const { accumulator, queue } = queueWith(3, 2)
    const counts = queue.batches.map((b) => b.recordCount)
    expect(counts).toEqual([2, 2, 2])
    const sequences: number[] = []
    const sent = []
    while (queue.batches.length > 0) {
      const head = queue.head!
      expect(state.prepare(queue, head)).toBe(true)
      sequences.push(head.baseSequence)
      sent.push(accumulator.take(queue))
      queue.inFlight++
    }
    expect(sequences).toEqual([0, counts[0]!, counts[0]! + counts[1]!])
    // The first batch is retried: same number.
    accumulator.requeue(sent[0]!)
    expect(state.prepare(queue, sent[0]!)).toBe(true)
    expect(sent[0]!.baseSequence).toBe(0)
    expect(state.isNextToAcknowledge(sent[0]!, queue.key)).toBe(true)
    expect(state.isNextToAcknowledge(sent[1]!, queue.key)).toBe(false)
    state.acknowledged(sent[0]!, queue.key)
    expect(state.isNextToAcknowledge(sent[1]!, queue.key)).toBe(true)
  })

  it('knows when the broker holds sequence state for a partition, and which batches it has passed', async () => {
    const state = await initialized()
    const { accumulator, queue } = queueWith(3, 2)
    const sent = []
    while (queue.batches.length > 0) {
      expect(state.prepare(queue, queue.head!)).toBe(true)
      sent.push(accumulator.take(queue))
    }
    // Nothing acknowledged yet: the broker would accept any first sequence.
    expect(state.hasAcknowledged(queue.key)).toBe(false)
    // The second batch got through while the first failed (a broker without state for us took it first).
    state.acknowledged(sent[1]!, queue.key)
    expect(state.hasAcknowledged(queue.key)).toBe(true)
    expect(state.isBehindAcknowledged(sent[0]!, queue.key)).toBe(true)
    expect(state.isNextToAcknowledge(sent[0]!, queue.key)).toBe(false)
    expect(state.isBehindAcknowledged(sent[2]!, queue.key)).toBe(false)
    // A new epoch starts without state again.
    state.bumpEpoch()
    expect(state.hasAcknowledged(queue.key)).toBe(false)
  })

  it('after an epoch bump, waits for in-flight batches, then renumbers queued ones from 0', async () => {
    const state = await initialized()
    const { accumulator, queue } = queueWith(3, 1)
    const first = queue.head!
    state.prepare(queue, first)
    accumulator.take(queue)
    queue.inFlight = 1
    const second = queue.head!
    state.prepare(queue, second)
    expect(second.baseSequence).toBe(1)
    accumulator.take(queue)
    queue.inFlight = 2

    state.bumpEpoch()
    expect(state.producerEpoch).toBe(1)
    // `second` failed and came back; `first` is still in flight.
    accumulator.requeue(second)
    queue.inFlight = 1
    expect(state.prepare(queue, second)).toBe(false)
    queue.inFlight = 0
    expect(state.prepare(queue, second)).toBe(true)
    expect(second.baseSequence).toBe(0)
    expect(second.producerEpoch).toBe(1)
    accumulator.take(queue)
    const third = queue.head!
    expect(state.prepare(queue, third)).toBe(true)
    expect(third.baseSequence).toBe(1)
  })

  it('drops the producer id when the epoch is exhausted', async () => {
    const state = await initialized(0x7fff)
    state.bumpEpoch()
    expect(state.hasProducerId).toBe(false)
  })

  it('throws the broker error of a failed InitProducerId', async () => {
    const state = new IdempotenceState()
    await expect(
      state.initialize(
        async () =>
          ({
            throttleTimeMs: 0,
            errorCode: 15,
            producerId: -1n,
            producerEpoch: -1,
          }) as InitProducerIdResponse,
      ),
    ).rejects.toMatchObject({ errorName: 'COORDINATOR_NOT_AVAILABLE', retriable: true })
    expect(state.hasProducerId).toBe(false)
  })
})
