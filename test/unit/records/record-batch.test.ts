import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '../../../src/common/errors.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'
import {
  encodeRecordBatch,
  encodeUncompressedRecordBatch,
  type RecordInput,
} from '../../../src/protocol/records/batch-encoder.ts'
import { crc32c } from '../../../src/protocol/records/crc32c.ts'

const T0 = 1_700_000_000_000n

const sample: RecordInput[] = [
  { key: Buffer.from('key-0'), value: Buffer.from('value-0'), timestamp: T0 },
  { key: null, value: Buffer.from('no key'), timestamp: T0 - 250n },
  {
    key: Buffer.from('k'),
    value: null,
    timestamp: T0 + 86_400_000n,
    headers: [
      { key: 'trace', value: Buffer.from('t-1') },
      { key: 'ключ', value: null },
      { key: 'trace', value: Buffer.alloc(0) },
    ],
  },
  { key: Buffer.alloc(0), value: Buffer.alloc(1000, 7), timestamp: T0 + 1n },
]

/** Rewrites the CRC of the batch at `start`, so a test can reach the checks that come after it. */
function withFreshCrc(batch: Buffer, start = 0): Buffer {
  const end = start + 12 + batch.readInt32BE(start + 8)
  batch.writeUInt32BE(crc32c(batch, start + 21, end), start + 17)
  return batch
}

/** One record, key "k", value "v", no headers: the records section is 10 0 0 0 02 6b 02 76 00 at 61. */
function tinyBatch(baseOffset = 500n): Buffer {
  return encodeUncompressedRecordBatch({
    baseOffset,
    records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: T0 }],
  })
}

async function decodeError(bytes: Buffer, options = {}): Promise<unknown> {
  try {
    await decodeRecordBatches(bytes, options)
  } catch (error) {
    return error
  }
  return undefined
}

describe('encodeRecordBatch / decodeRecordBatches round trip', () => {
  for (const compression of ['none', 'gzip'] as const) {
    it(`keeps every field and record with compression ${compression}`, async () => {
      const bytes = await encodeRecordBatch({
        records: sample,
        compression,
        baseOffset: 9_000_000_000n,
        producerId: 77n,
        producerEpoch: 4,
        baseSequence: 1234,
        transactional: true,
        partitionLeaderEpoch: 12,
      })
      const { batches, incomplete } = await decodeRecordBatches(bytes)
      expect(incomplete).toBeNull()
      expect(batches).toHaveLength(1)
      const batch = batches[0]!
      expect(batch).toMatchObject({
        baseOffset: 9_000_000_000n,
        lastOffsetDelta: 3,
        lastOffset: 9_000_000_003n,
        sizeInBytes: bytes.length,
        partitionLeaderEpoch: 12,
        magic: 2,
        compression,
        timestampType: 'create',
        isTransactional: true,
        isControl: false,
        baseTimestamp: T0,
        maxTimestamp: T0 + 86_400_000n,
        producerId: 77n,
        producerEpoch: 4,
        baseSequence: 1234,
        recordCount: 4,
        control: null,
      })
      expect(
        batch.records.map((r) => ({
          offset: r.offset,
          timestamp: r.timestamp,
          key: r.key,
          value: r.value,
          headers: r.headers,
        })),
      ).toEqual(
        sample.map((r, i) => ({
          offset: 9_000_000_000n + BigInt(i),
          timestamp: r.timestamp,
          key: r.key,
          value: r.value,
          headers: r.headers ?? [],
        })),
      )
    })
  }

  it('encodes an uncompressed batch identically on the sync and async paths', async () => {
    expect(await encodeRecordBatch({ records: sample, compression: 'none' })).toEqual(
      encodeUncompressedRecordBatch({ records: sample }),
    )
  })

  it('writes Kafka defaults for a batch without idempotence', async () => {
    const [batch] = (await decodeRecordBatches(tinyBatch())).batches
    expect(batch).toMatchObject({
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      partitionLeaderEpoch: -1,
    })
    expect(batch).toMatchObject({ isTransactional: false, attributes: 0 })
  })

  it('sets the log-append-time bit, and such records take the batch maxTimestamp', async () => {
    const bytes = encodeUncompressedRecordBatch({ records: sample, timestampType: 'log-append' })
    const [batch] = (await decodeRecordBatches(bytes)).batches
    expect(batch!.attributes & 0x08).toBe(0x08)
    expect(batch!.records.map((r) => r.timestamp)).toEqual(sample.map(() => T0 + 86_400_000n))
  })

  it('returns keys and values as views into the fetched bytes, not copies', async () => {
    const bytes = encodeUncompressedRecordBatch({ records: sample })
    const [batch] = (await decodeRecordBatches(bytes)).batches
    const value = batch!.records[0]!.value!
    expect(value.buffer).toBe(bytes.buffer)
    bytes[bytes.indexOf('value-0')] = 0x56 // 'V'
    expect(value.toString()).toBe('Value-0')
  })

  it('decodes batches back to back, as a log slice arrives', async () => {
    const first = encodeUncompressedRecordBatch({ baseOffset: 0n, records: sample })
    const second = await encodeRecordBatch({ baseOffset: 4n, records: sample, compression: 'gzip' })
    const { batches } = await decodeRecordBatches(Buffer.concat([first, second, first]))
    expect(batches.map((b) => b.baseOffset)).toEqual([0n, 4n, 0n])
    expect(batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual([
      0n,
      1n,
      2n,
      3n,
      4n,
      5n,
      6n,
      7n,
      0n,
      1n,
      2n,
      3n,
    ])
  })

  it('rejects an empty batch and timestamps beyond 2^53', () => {
    expect(() => encodeUncompressedRecordBatch({ records: [] })).toThrow(RangeError)
    expect(() =>
      encodeUncompressedRecordBatch({ records: [{ key: null, value: null, timestamp: 2n ** 60n }] }),
    ).toThrow(RangeError)
    expect(() => encodeUncompressedRecordBatch({ records: sample, producerEpoch: 40_000 })).toThrow(
      /producerEpoch/,
    )
  })
})

describe('decodeRecordBatches on partial bytes', () => {
  it('reports every cut inside a batch as an incomplete trailing batch, after the complete ones', async () => {
    for (const batch of [encodeUncompressedRecordBatch({ records: sample }), tinyBatch()]) {
      const complete = tinyBatch(3n)
      for (let cut = 0; cut < batch.length; cut++) {
        const result = await decodeRecordBatches(Buffer.concat([complete, batch.subarray(0, cut)]))
        expect(result.batches).toHaveLength(1)
        if (cut === 0) {
          expect(result.incomplete).toBeNull()
          continue
        }
        expect(result.incomplete).toEqual({
          byteOffset: complete.length,
          baseOffset: cut >= 8 ? batch.readBigInt64BE(0) : null,
          claimedSizeInBytes: cut >= 12 ? batch.length : null,
          availableBytes: cut,
        })
      }
    }
  })

  it('does not allocate for a batch claiming a 2 GiB length', async () => {
    const header = tinyBatch()
    header.writeInt32BE(0x7fffffff, 8)
    const before = process.memoryUsage().arrayBuffers
    const result = await decodeRecordBatches(header)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024)
    expect(result.batches).toEqual([])
    expect(result.incomplete).toMatchObject({
      claimedSizeInBytes: 0x7fffffff + 12,
      availableBytes: header.length,
    })
  })

  it('rejects a batch length too small to hold a magic byte, including negative ones', async () => {
    for (const length of [-1, -0x80000000, 0, 4]) {
      const bytes = tinyBatch()
      bytes.writeInt32BE(length, 8)
      expect(await decodeError(bytes)).toBeInstanceOf(CorruptRecordError)
    }
  })
})

describe('decodeRecordBatches on damaged batches', () => {
  it('fails the CRC when any covered byte flips, and never throws anything but CorruptRecordError', async () => {
    const pristine = encodeUncompressedRecordBatch({ baseOffset: 42n, records: sample })
    for (let at = 0; at < pristine.length; at++) {
      const bytes = Buffer.from(pristine)
      bytes[at]! ^= 0x10
      let outcome: string
      try {
        const result = await decodeRecordBatches(bytes)
        outcome = result.incomplete === null ? 'decoded' : 'incomplete'
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptRecordError)
        outcome = 'corrupt'
      }
      // Only baseOffset and partitionLeaderEpoch are outside the CRC; the length decides completeness.
      const expected =
        at < 8 || (at >= 12 && at < 16) ? 'decoded' : at < 12 ? ['incomplete', 'corrupt'] : 'corrupt'
      if (Array.isArray(expected)) expect(expected).toContain(outcome)
      else expect({ at, outcome }).toEqual({ at, outcome: expected })
    }
  })

  it('names the base offset, topic and partition in a CRC error', async () => {
    const bytes = tinyBatch(500n)
    bytes[bytes.length - 1]! ^= 1
    const error = await decodeError(bytes, { topic: 'orders', partition: 3 })
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect((error as CorruptRecordError).message).toMatch(/offset 500 of orders-3: CRC mismatch/)
    expect(error).toMatchObject({ topic: 'orders', partition: 3 })
  })

  it('skips the CRC check only when asked to', async () => {
    const bytes = tinyBatch()
    bytes.writeUInt32BE(0xdeadbeef, 17)
    expect(await decodeError(bytes)).toBeInstanceOf(CorruptRecordError)
    const { batches } = await decodeRecordBatches(bytes, { verifyCrc: false })
    expect(batches[0]!.records[0]!.value).toEqual(Buffer.from('v'))
  })

  it('rejects magic v0 and v1 message sets as an unsupported record format', async () => {
    for (const magic of [0, 1]) {
      const bytes = tinyBatch()
      bytes[16] = magic
      const error = await decodeError(bytes)
      expect(error).toBeInstanceOf(CorruptRecordError)
      expect((error as Error).message).toMatch(new RegExp(`record format v${magic} .* not supported`))
    }
    const bytes = tinyBatch()
    bytes[16] = 3
    expect((await decodeError(bytes)) as Error).toMatchObject({ message: /unknown magic byte 3/ })
  })

  const tampered: Array<[string, (b: Buffer) => void, RegExp]> = [
    [
      'a negative key length',
      (b) => {
        b[65] = 3
      },
      /negative key length -2/,
    ],
    [
      'a record longer than the batch',
      (b) => {
        b[61] = 0x7e
      },
      /record 0 claims 63 bytes/,
    ],
    ['a record count of 2^31-1', (b) => b.writeInt32BE(0x7fffffff, 57), /2147483647 records cannot fit/],
    ['a negative record count', (b) => b.writeInt32BE(-1, 57), /negative record count/],
    ['bytes left after the records', (b) => b.writeInt32BE(0, 57), /9 bytes follow the 0 records/],
    ['a varint that never ends', (b) => b.fill(0xff, 61), /varint/],
    [
      'a value longer than its record',
      (b) => {
        b[67] = 40
      },
      /value of 20 bytes overruns/,
    ],
    ['an unassigned codec id', (b) => b.writeInt16BE(5, 21), /unknown compression codec id 5/],
    ['gzip flag on plain bytes', (b) => b.writeInt16BE(1, 21), /gzip records do not decompress/],
  ]
  for (const [what, damage, message] of tampered) {
    it(`rejects ${what} with a CorruptRecordError naming the batch`, async () => {
      const bytes = tinyBatch(500n)
      damage(bytes)
      const error = await decodeError(withFreshCrc(bytes), { topic: 't', partition: 0 })
      expect(error).toBeInstanceOf(CorruptRecordError)
      expect((error as Error).message).toMatch(/^corrupt record batch at offset 500 of t-0: /)
      expect((error as Error).message).toMatch(message)
    })
  }

  it('turns random damage under a valid CRC into CorruptRecordError or a clean decode, nothing else', async () => {
    // Small records only, so most damage lands on structure rather than inside a value.
    const pristine = encodeUncompressedRecordBatch({ records: sample.slice(0, 3) })
    let seed = 12345
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    let corrupt = 0
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(pristine)
      for (let flips = 1 + random(3); flips > 0; flips--) bytes[57 + random(bytes.length - 57)] = random(256)
      try {
        await decodeRecordBatches(withFreshCrc(bytes))
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error
        corrupt++
      }
    }
    expect(corrupt).toBeGreaterThan(1000)
  })
})

describe('compression limits', () => {
  it('refuses to inflate a batch beyond maxDecompressedBytes', async () => {
    const bomb = await encodeRecordBatch({
      compression: 'gzip',
      records: [{ key: null, value: Buffer.alloc(8 * 1024 * 1024), timestamp: T0 }],
    })
    expect(bomb.length).toBeLessThan(64 * 1024)
    const error = await decodeError(bomb, { maxDecompressedBytes: 1024 * 1024 })
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect((error as Error).message).toMatch(/inflate beyond maxDecompressedBytes \(1048576 bytes\)/)
    const { batches } = await decodeRecordBatches(bomb)
    expect(batches[0]!.records[0]!.value!.length).toBe(8 * 1024 * 1024)
  })

  it('reports records that do not decompress as a corrupt batch', async () => {
    const bytes = tinyBatch()
    // Claim snappy for records that were never compressed.
    bytes.writeInt16BE(2, 21)
    const error = await decodeError(withFreshCrc(bytes))
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect((error as Error).message).toMatch(/snappy records do not decompress/)
  })
})
