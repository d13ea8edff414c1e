/**
 * Hostile bytes for the record-batch decoder: random input, truncations, bit flips (with the CRC left as it
 * was, and recomputed so the damage reaches the header and record parsers) and length fields set to extreme
 * values. The decoder must return batches or an incomplete tail, or throw CorruptRecordError; every record it
 * returns must be readable (key, value, headers) without throwing; no compressed section may inflate beyond
 * maxDecompressedBytes.
 */

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '../../../src/common/errors.ts'
import type { CompressionType } from '../../../src/protocol/compression/compression-type.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'
import { encodeRecordBatch } from '../../../src/protocol/records/batch-encoder.ts'
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
} from '../../../src/protocol/records/batch-layout.ts'
import { crc32c } from '../../../src/protocol/records/crc32c.ts'

const MAX_DECOMPRESSED = 16 * 1024
const COMPRESSIONS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

const recordInput = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 8 }),
      value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }),
    }),
    { maxLength: 3 },
  ),
})

/** One or two valid batches, each with a chosen compression. */
const validBatches = fc
  .array(fc.tuple(fc.constantFrom(...COMPRESSIONS), fc.array(recordInput, { minLength: 1, maxLength: 12 })), {
    minLength: 1,
    maxLength: 2,
  })
  .map(async (specs) => {
    const parts: Buffer[] = []
    let baseOffset = 0n
    for (const [compression, records] of specs) {
      parts.push(
        await encodeRecordBatch({
          compression,
          baseOffset,
          records: records.map((r) => ({
            key: r.key === null ? null : Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            headers: r.headers.map((h) => ({
              key: h.key,
              value: h.value === null ? null : Buffer.from(h.value),
            })),
            timestamp: 1_700_000_000_000n,
          })),
        }),
      )
      baseOffset += BigInt(records.length)
    }
    return Buffer.concat(parts)
  })

/** Restamps the CRC of every batch whose header is intact enough to find, so damage gets past the CRC. */
function restampCrcs(bytes: Buffer): void {
  let position = 0
  while (position + RECORDS_OFFSET <= bytes.length) {
    const end = position + 12 + bytes.readInt32BE(position + BATCH_LENGTH_OFFSET)
    if (end > bytes.length || end < position + RECORDS_OFFSET) return
    bytes.writeUInt32BE(crc32c(bytes, position + ATTRIBUTES_OFFSET, end), position + CRC_OFFSET)
    position = end
  }
}

/** Decodes `bytes` and returns a description of any breach of the decoder's contract, or null. */
async function violation(bytes: Buffer): Promise<string | null> {
  try {
    const result = await decodeRecordBatches(bytes, { maxDecompressedBytes: MAX_DECOMPRESSED })
    for (const batch of result.batches) {
      for (const record of batch.records) {
        void record.offset
        void record.timestamp
        void record.key
        void record.value
        for (const header of record.headers) void header.value
      }
    }
    return null
  } catch (error) {
    if (error instanceof CorruptRecordError) return null
    return `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`
  }
}

function flip(bytes: Buffer, positions: number[], bits: number[]): Buffer {
  const copy = Buffer.from(bytes)
  positions.forEach((p, i) => {
    const at = p % copy.length
    copy[at] = copy[at]! ^ (1 << (bits[i % bits.length]! % 8))
  })
  return copy
}

describe('record-batch decoder: hostile input', () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        expect(await violation(Buffer.from(bytes))).toBeNull()
      }),
      { numRuns: 500 },
    )
  })

  it('a valid header followed by random records, CRC restamped', async () => {
    await fc.assert(
      fc.asyncProperty(
        validBatches,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        async (batches, tail) => {
          const bytes = Buffer.concat([(await batches).subarray(0, RECORDS_OFFSET), tail])
          bytes.writeInt32BE(bytes.length - 12, BATCH_LENGTH_OFFSET)
          restampCrcs(bytes)
          expect(await violation(bytes)).toBeNull()
        },
      ),
      { numRuns: 300 },
    )
  })

  it('truncation anywhere: complete batches, an incomplete tail, or CorruptRecordError', async () => {
    await fc.assert(
      fc.asyncProperty(validBatches, fc.nat(), async (batches, cut) => {
        const full = await batches
        const bytes = full.subarray(0, cut % (full.length + 1))
        expect(await violation(bytes)).toBeNull()
        const result = await decodeRecordBatches(bytes)
        const whole = result.batches.reduce((sum, b) => sum + b.sizeInBytes, 0)
        expect(whole + (result.incomplete?.availableBytes ?? 0)).toBe(bytes.length)
      }),
      { numRuns: 200 },
    )
  })

  it('bit flips with the CRC as it was are always caught', async () => {
    await fc.assert(
      fc.asyncProperty(
        validBatches,
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        async (batches, positions, bits) => {
          const full = await batches
          // Flips only inside what the CRC covers of the first batch (attributes to its end).
          const firstEnd = 12 + full.readInt32BE(BATCH_LENGTH_OFFSET)
          const span = firstEnd - ATTRIBUTES_OFFSET
          const damaged = flip(
            full,
            positions.map((p) => ATTRIBUTES_OFFSET + (p % span)),
            bits,
          )
          if (damaged.equals(full)) return
          await expect(decodeRecordBatches(damaged)).rejects.toBeInstanceOf(CorruptRecordError)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('bit flips anywhere with the CRC restamped (damage reaches header and record parsing)', async () => {
    await fc.assert(
      fc.asyncProperty(
        validBatches,
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        async (batches, positions, bits) => {
          const damaged = flip(await batches, positions, bits)
          restampCrcs(damaged)
          expect(await violation(damaged)).toBeNull()
        },
      ),
      { numRuns: 500 },
    )
  })

  it('extreme length and count fields', async () => {
    const extremes = [-2147483648, -2, -1, 0, 1, 60, 61, 0x7fffffff, 0x10000000]
    await fc.assert(
      fc.asyncProperty(
        validBatches,
        fc.constantFrom(BATCH_LENGTH_OFFSET, RECORD_COUNT_OFFSET),
        fc.constantFrom(...extremes),
        async (batches, field, value) => {
          const bytes = Buffer.from(await batches)
          bytes.writeInt32BE(value, field)
          restampCrcs(bytes)
          expect(await violation(bytes)).toBeNull()
        },
      ),
      { numRuns: 150 },
    )
  })

  it('a compressed batch that inflates past maxDecompressedBytes is CorruptRecordError', async () => {
    for (const compression of COMPRESSIONS.filter((c) => c !== 'none')) {
      const bytes = await encodeRecordBatch({
        compression,
        records: [{ key: null, value: Buffer.alloc(MAX_DECOMPRESSED * 2), timestamp: 0n }],
      })
      await expect(decodeRecordBatches(bytes, { maxDecompressedBytes: MAX_DECOMPRESSED })).rejects.toThrow(
        /inflate beyond maxDecompressedBytes/,
      )
    }
  })
})
