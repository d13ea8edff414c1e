import { describe, expect, it } from 'vitest'
import { codecFor } from '../../../src/protocol/compression/registry.ts'
import { estimateRecordBytes, RecordBatchBuilder } from '../../../src/protocol/records/batch-builder.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'

const gzip = codecFor('gzip')

describe('RecordBatchBuilder', () => {
  it('encodes a batch the record decoder reads back field by field, CRC included', async () => {
    const builder = new RecordBatchBuilder(16_384)
    builder.append({
      timestamp: 1_700_000_000_000,
      key: Buffer.from('k1'),
      value: Buffer.from('v1'),
      headers: null,
    })
    builder.append({
      timestamp: 1_700_000_000_250,
      key: null,
      value: null,
      headers: [
        { key: Buffer.from('trace'), value: Buffer.from('abc') },
        { key: Buffer.from('empty'), value: null },
      ],
    })
    // An earlier timestamp than the first gives a negative delta, which Kafka allows.
    builder.append({
      timestamp: 1_699_999_999_000,
      key: Buffer.alloc(300, 7),
      value: Buffer.alloc(0),
      headers: null,
    })
    builder.seal(0)
    const bytes = builder.stamp({ producerId: 4242n, producerEpoch: 3, baseSequence: 17 })

    const { batches, incomplete } = await decodeRecordBatches(bytes)
    expect(incomplete).toBeNull()
    expect(batches).toHaveLength(1)
    const batch = batches[0]!
    expect(batch.recordCount).toBe(3)
    expect(batch.lastOffsetDelta).toBe(2)
    expect(batch.producerId).toBe(4242n)
    expect(batch.producerEpoch).toBe(3)
    expect(batch.baseSequence).toBe(17)
    expect(batch.baseTimestamp).toBe(1_700_000_000_000n)
    expect(batch.maxTimestamp).toBe(1_700_000_000_250n)
    expect(batch.compression).toBe('none')
    expect(batch.isTransactional).toBe(false)
    const [first, second, third] = batch.records
    expect(first!.key?.toString()).toBe('k1')
    expect(first!.value?.toString()).toBe('v1')
    expect(first!.headers).toEqual([])
    expect(second!.key).toBeNull()
    expect(second!.value).toBeNull()
    expect(second!.timestamp).toBe(1_700_000_000_250n)
    expect(second!.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([
      ['trace', 'abc'],
      ['empty', null],
    ])
    expect(third!.key).toEqual(Buffer.alloc(300, 7))
    expect(third!.value).toEqual(Buffer.alloc(0))
    expect(third!.timestamp).toBe(1_699_999_999_000n)
    expect(third!.offsetDelta).toBe(2)
  })

  it('re-stamping after an epoch bump rewrites identity and CRC in place', async () => {
    const builder = new RecordBatchBuilder(1024)
    builder.append({ timestamp: 1, key: null, value: Buffer.from('x'), headers: null })
    builder.seal(0)
    const first = Buffer.from(builder.stamp({ producerId: 1n, producerEpoch: 0, baseSequence: 5 }))
    const second = builder.stamp({ producerId: 1n, producerEpoch: 1, baseSequence: 0 })
    expect(second.equals(first)).toBe(false)
    const { batches } = await decodeRecordBatches(second)
    expect(batches[0]!.producerEpoch).toBe(1)
    expect(batches[0]!.baseSequence).toBe(0)
  })

  it('compresses the records section once at seal time', async () => {
    const builder = new RecordBatchBuilder(1 << 20)
    for (let i = 0; i < 200; i++) {
      builder.append({
        timestamp: 1000 + i,
        key: Buffer.from(`key-${i}`),
        value: Buffer.alloc(100, 97),
        headers: null,
      })
    }
    const uncompressed = builder.sizeBytes
    await builder.seal(1, (records) => gzip.compress(records))
    const bytes = builder.stamp({ producerId: -1n, producerEpoch: -1, baseSequence: -1 })
    expect(bytes.length).toBeLessThan(uncompressed / 4)
    const { batches } = await decodeRecordBatches(bytes)
    expect(batches[0]!.compression).toBe('gzip')
    expect(batches[0]!.records).toHaveLength(200)
    expect(batches[0]!.records[199]!.key?.toString()).toBe('key-199')
    expect(batches[0]!.records[199]!.offset).toBe(199n)
  })

  it('accepts one record of any size but stops at the target size after that', () => {
    const builder = new RecordBatchBuilder(200)
    const big = { timestamp: 0, key: null, value: Buffer.alloc(500), headers: null }
    expect(builder.hasRoomFor(estimateRecordBytes(big))).toBe(true)
    builder.append(big)
    const small = { timestamp: 0, key: null, value: Buffer.alloc(1), headers: null }
    expect(builder.hasRoomFor(estimateRecordBytes(small))).toBe(false)
  })

  it('estimates never fall below the encoded size', async () => {
    const record = {
      timestamp: 1_700_000_000_000,
      key: Buffer.alloc(20_000),
      value: Buffer.alloc(70_000),
      headers: [{ key: Buffer.from('h'), value: Buffer.alloc(200) }],
    }
    const builder = new RecordBatchBuilder(1)
    builder.append(record)
    const recordBytes = builder.sizeBytes - 61
    expect(estimateRecordBytes(record)).toBeGreaterThanOrEqual(recordBytes)
    expect(estimateRecordBytes(record) - recordBytes).toBeLessThan(32)
  })
})
