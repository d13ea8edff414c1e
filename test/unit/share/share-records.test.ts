import { describe, expect, it } from 'vitest'
import { acquiredRecords } from '../../../src/consumer/share/share-records.ts'
import type { DecodedRecordBatch } from '../../../src/protocol/records/index.ts'
import { decodeRecordBatches, encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.ts'

/** A real batch of `count` records from `baseOffset`, valued `v<offset>`. */
async function batch(baseOffset: bigint, count: number): Promise<DecodedRecordBatch> {
  const bytes = encodeUncompressedRecordBatch({
    baseOffset,
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: Buffer.from(`v${baseOffset + BigInt(i)}`),
      timestamp: 1_700_000_000_000n,
    })),
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    partitionLeaderEpoch: 0,
  })
  return (await decodeRecordBatches(bytes)).batches[0]!
}

const range = (first: bigint, last: bigint, deliveryCount: number) => ({
  firstOffset: first,
  lastOffset: last,
  deliveryCount,
})
const values = (data: ReturnType<typeof acquiredRecords>) => data.records.map((r) => r.value!.toString())

describe('acquiredRecords', () => {
  it('delivers only the acquired ranges, each with its delivery count', async () => {
    const batches = [await batch(0n, 10)]
    const data = acquiredRecords('t', 0, batches, [range(2n, 3n, 1), range(7n, 8n, 3)])
    expect(values(data)).toEqual(['v2', 'v3', 'v7', 'v8'])
    expect(data.records.map((r) => r.deliveryCount)).toEqual([1, 1, 3, 3])
    expect(data.gaps).toEqual([])
    expect(data.records[0]).toMatchObject({ topic: 't', partition: 0, offset: 2n })
  })

  it('acquired offsets without a record (compacted away, or past the data) are gaps', async () => {
    const batches = [await batch(10n, 1), await batch(12n, 2)] // offsets 10, 12, 13; 11 compacted away
    const data = acquiredRecords('t', 0, batches, [range(10n, 15n, 2)])
    expect(values(data)).toEqual(['v10', 'v12', 'v13'])
    expect(data.gaps).toEqual([11n, 14n, 15n])
  })

  it('ranges given out of order are read in offset order', async () => {
    const batches = [await batch(0n, 4), await batch(4n, 2)]
    const data = acquiredRecords('t', 0, batches, [range(4n, 5n, 1), range(0n, 0n, 2)])
    expect(values(data)).toEqual(['v0', 'v4', 'v5'])
    expect(data.records.map((r) => r.deliveryCount)).toEqual([2, 1, 1])
  })

  it('nothing acquired, nothing delivered', async () => {
    const data = acquiredRecords('t', 0, [await batch(0n, 2)], [])
    expect(data).toEqual({ records: [], gaps: [] })
  })
})
