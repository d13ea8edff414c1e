import { describe, expect, it } from 'vitest'
import { CompletedFetch } from '../../../src/consumer/completed-fetch.ts'
import { FetchBuffer } from '../../../src/consumer/fetch-buffer.ts'
import { FetchCollector } from '../../../src/consumer/fetch-collector.ts'
import { SubscriptionState } from '../../../src/consumer/subscription-state.ts'
import type { DecodedRecordBatch } from '../../../src/protocol/records/index.ts'
import { decodeRecordBatches, encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.ts'

/** Real batches, encoded and decoded by the records layer: `count` records starting at `baseOffset`. */
async function batch(
  baseOffset: bigint,
  count: number,
  extra: { producerId?: bigint; transactional?: boolean; epoch?: number } = {},
): Promise<DecodedRecordBatch> {
  const bytes = encodeUncompressedRecordBatch({
    baseOffset,
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: Buffer.from(`v${baseOffset + BigInt(i)}`),
      timestamp: 1_700_000_000_000n + baseOffset * 1000n + BigInt(i),
    })),
    producerId: extra.producerId ?? -1n,
    producerEpoch: extra.producerId === undefined ? -1 : 0,
    baseSequence: extra.producerId === undefined ? -1 : 0,
    transactional: extra.transactional ?? false,
    partitionLeaderEpoch: extra.epoch ?? 3,
  })
  const { batches } = await decodeRecordBatches(bytes)
  return batches[0]!
}

/** A transaction marker batch, built field by field: the records encoder does not write control batches. */
function marker(offset: bigint, producerId: bigint, type: 'abort' | 'commit'): DecodedRecordBatch {
  return {
    baseOffset: offset,
    lastOffsetDelta: 0,
    lastOffset: offset,
    sizeInBytes: 78,
    partitionLeaderEpoch: 3,
    magic: 2,
    crc: 0,
    attributes: 0x30,
    compression: 'none',
    timestampType: 'create',
    isTransactional: true,
    isControl: true,
    hasDeleteHorizon: false,
    baseTimestamp: 0n,
    maxTimestamp: 0n,
    producerId,
    producerEpoch: 0,
    baseSequence: -1,
    recordCount: 1,
    records: [],
    control: { type, typeId: type === 'abort' ? 0 : 1, coordinatorEpoch: 0 },
  }
}

function setup(fetchOffset = 0n) {
  const subscriptions = new SubscriptionState('earliest')
  subscriptions.assign([{ topic: 't', partition: 0 }])
  subscriptions.seek({ topic: 't', partition: 0 }, { offset: fetchOffset, leaderEpoch: undefined })
  const state = subscriptions.get('t', 0)!
  const buffer = new FetchBuffer<CompletedFetch>()
  const collector = new FetchCollector(buffer)
  const add = (
    batches: DecodedRecordBatch[],
    offset: bigint,
    options: { aborted?: { producerId: bigint; firstOffset: bigint }[] } = {},
  ) => {
    const fetch = new CompletedFetch({
      state,
      generation: state.generation,
      fetchOffset: offset,
      batches,
      abortedTransactions: options.aborted ?? null,
      readCommitted: options.aborted !== undefined,
      sizeBytes: batches.reduce((sum, b) => sum + b.sizeInBytes, 0),
    })
    buffer.add(fetch)
    return fetch
  }
  return { subscriptions, state, buffer, collector, add }
}

const offsets = (messages: { offset: bigint }[]) => messages.map((m) => m.offset)

describe('CompletedFetch and FetchCollector', () => {
  it('gives each record its own offset across compaction gaps and batch boundaries', async () => {
    const { collector, add } = setup(0n)
    // A compacted batch keeps its records' offset deltas: 2, 3 and 5 were removed.
    const compacted = await batch(0n, 7)
    compacted.records = compacted.records.filter((r) => ![2, 3, 5].includes(r.offsetDelta))
    add([compacted, await batch(7n, 3)], 0n)
    const messages = collector.collect(100)
    expect(offsets(messages)).toEqual([0n, 1n, 4n, 6n, 7n, 8n, 9n])
    expect(messages.map((m) => m.value!.toString())).toEqual(['v0', 'v1', 'v4', 'v6', 'v7', 'v8', 'v9'])
  })

  it('gives exact offsets past 2^53, as they are below it', async () => {
    const far = 2n ** 60n + 5n
    const farBatch = async (baseOffset: bigint, count: number) =>
      (
        await decodeRecordBatches(
          encodeUncompressedRecordBatch({
            baseOffset,
            records: Array.from({ length: count }, () => ({ key: null, value: null, timestamp: 0n })),
          }),
        )
      ).batches[0]!
    const { collector, add } = setup(far)
    add([await farBatch(far, 3), await farBatch(far + 3n, 2)], far)
    expect(offsets(collector.collect(100))).toEqual([far, far + 1n, far + 2n, far + 3n, far + 4n])
  })

  it('skips the records of the first batch that precede the fetch offset', async () => {
    const { collector, add, state } = setup(7n)
    add([await batch(5n, 5), await batch(10n, 2)], 7n)
    const messages = collector.collect(100)
    expect(offsets(messages)).toEqual([7n, 8n, 9n, 10n, 11n])
    expect(messages[0]!.value!.toString()).toBe('v7')
    expect(messages[0]!.timestamp).toBe(1_700_000_005_002)
    expect(messages[0]!.timestampType).toBe('create')
    expect(messages[0]!.leaderEpoch).toBe(3)
    expect(state.position).toEqual({ offset: 12n, leaderEpoch: 3 })
  })

  it('gives each record the timestamp and leader epoch of its own batch, up to the last record', async () => {
    const { collector, add } = setup()
    add([await batch(0n, 2, { epoch: 1 }), await batch(2n, 1, { epoch: 2 })], 0n)
    const messages = collector.collect(100)
    expect(messages.map((m) => [m.offset, m.timestamp, m.leaderEpoch])).toEqual([
      [0n, 1_700_000_000_000, 1],
      [1n, 1_700_000_000_001, 1],
      [2n, 1_700_000_002_000, 2],
    ])
  })

  it('advances the position only as far as records were handed out', async () => {
    const { collector, add, state, buffer } = setup()
    add([await batch(0n, 10)], 0n)
    expect(offsets(collector.collect(3))).toEqual([0n, 1n, 2n])
    expect(state.position?.offset).toBe(3n)
    expect(collector.next()?.offset).toBe(3n)
    expect(state.position?.offset).toBe(4n)
    expect(buffer.bufferedBytes).toBeGreaterThan(0)
    expect(offsets(collector.collect(100))).toEqual([4n, 5n, 6n, 7n, 8n, 9n])
    expect(state.position?.offset).toBe(10n)
    expect(buffer.bufferedBytes).toBe(0)
    expect(buffer.isEmpty).toBe(true)
  })

  it('drops buffered data once the partition seeks elsewhere', async () => {
    const { collector, add, subscriptions, buffer } = setup()
    add([await batch(0n, 10)], 0n)
    expect(offsets(collector.collect(2))).toEqual([0n, 1n])
    subscriptions.seek({ topic: 't', partition: 0 }, { offset: 100n, leaderEpoch: undefined })
    expect(collector.collect(100)).toEqual([])
    expect(buffer.isEmpty).toBe(true)
    expect(subscriptions.get('t', 0)!.position?.offset).toBe(100n)
  })

  it('keeps data of a paused partition until it is resumed, then continues without gaps', async () => {
    const { collector, add, subscriptions } = setup()
    add([await batch(0n, 4)], 0n)
    expect(offsets(collector.collect(2))).toEqual([0n, 1n])
    subscriptions.pause({ topic: 't', partition: 0 })
    expect(collector.collect(100)).toEqual([])
    expect(collector.next()).toBeUndefined()
    subscriptions.resume({ topic: 't', partition: 0 })
    expect(offsets(collector.collect(100))).toEqual([2n, 3n])
  })

  it('keeps every buffered fetch of a paused partition, so resuming continues without a stall', async () => {
    const { collector, add, subscriptions, buffer } = setup()
    add([await batch(0n, 3)], 0n)
    add([await batch(3n, 3)], 3n)
    add([await batch(6n, 2)], 6n)
    expect(offsets(collector.collect(1))).toEqual([0n])
    subscriptions.pause({ topic: 't', partition: 0 })
    expect(collector.collect(100)).toEqual([])
    // The later fetches do not start at the position yet; while paused they are waiting, not stale.
    expect([...buffer.entries()]).toHaveLength(3)
    subscriptions.resume({ topic: 't', partition: 0 })
    expect(offsets(collector.collect(100))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n])
  })

  it('moves past offsets without deliverable records (markers, compaction) once a fetch is drained', async () => {
    const { collector, add, state } = setup()
    add([await batch(0n, 2), marker(2n, 9n, 'commit')], 0n)
    expect(offsets(collector.collect(100))).toEqual([0n, 1n])
    expect(state.position?.offset).toBe(3n)
  })

  it('delivers chained fetches of one partition in order', async () => {
    const { collector, add, state } = setup()
    add([await batch(0n, 3)], 0n)
    add([await batch(3n, 3)], 3n)
    expect(offsets(collector.collect(4))).toEqual([0n, 1n, 2n, 3n])
    expect(offsets(collector.collect(4))).toEqual([4n, 5n])
    expect(state.position?.offset).toBe(6n)
  })

  it('under read_committed hides aborted transactions and markers, and shows committed ones', async () => {
    const { collector, add, state } = setup()
    add(
      [
        await batch(0n, 2), // plain records
        await batch(2n, 2, { producerId: 7n, transactional: true }), // aborted below
        await batch(4n, 2, { producerId: 8n, transactional: true }), // committed below
        marker(6n, 7n, 'abort'),
        marker(7n, 8n, 'commit'),
        await batch(8n, 1, { producerId: 7n, transactional: true }), // a later transaction of producer 7
        marker(9n, 7n, 'commit'),
      ],
      0n,
      { aborted: [{ producerId: 7n, firstOffset: 2n }] },
    )
    expect(offsets(collector.collect(100))).toEqual([0n, 1n, 4n, 5n, 8n])
    expect(state.position?.offset).toBe(10n)
  })

  it('under read_uncommitted shows every data batch but never markers', async () => {
    const aborted = await batch(2n, 2, { producerId: 7n, transactional: true })
    const { collector, add, state } = setup()
    add([await batch(0n, 2), aborted, marker(4n, 7n, 'abort')], 0n)
    expect(offsets(collector.collect(100))).toEqual([0n, 1n, 2n, 3n])
    expect(state.position?.offset).toBe(5n)
  })

  it('treats a response without complete batches as nothing to deliver', () => {
    const { state } = setup(3n)
    const fetch = new CompletedFetch({
      state,
      generation: state.generation,
      fetchOffset: 3n,
      batches: [],
      readCommitted: false,
      sizeBytes: 0,
    })
    expect(fetch.isDrained).toBe(true)
    expect(fetch.nextFetchOffset).toBe(3n)
    expect(fetch.next()).toBeUndefined()
  })

  it('drops data that does not start at the position', async () => {
    const { collector, add, buffer } = setup(5n)
    add([await batch(0n, 3)], 0n)
    expect(collector.collect(100)).toEqual([])
    expect(buffer.isEmpty).toBe(true)
  })
})
