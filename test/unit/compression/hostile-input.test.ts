/**
 * Hostile bytes for the decompressors: random input, truncations and bit flips of valid output, and inputs
 * that declare (or inflate to) more than the limit. A decompressor may return at most `maxOutputBytes`, may
 * fail only with an Error (the pure-TypeScript codecs only with CorruptRecordError or the
 * ERR_BUFFER_TOO_LARGE RangeError), and the TypeScript codecs may never ask Buffer for more than the limit.
 */

import { deflateRawSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '../../../src/common/errors.ts'
import type { CompressionCodec } from '../../../src/protocol/compression/codec.ts'
import { createGzipCodec } from '../../../src/protocol/compression/gzip.ts'
import { createLz4Codec } from '../../../src/protocol/compression/lz4.ts'
import { createSnappyCodec } from '../../../src/protocol/compression/snappy.ts'
import { createZstdCodec } from '../../../src/protocol/compression/zstd.ts'

const LIMIT = 64 * 1024

interface CodecCase {
  codec: CompressionCodec
  /** Written in TypeScript here, so its errors and allocations are ours to check. */
  ours: boolean
}

const cases: Record<string, CodecCase> = {
  gzip: { codec: createGzipCodec(), ours: false },
  zstd: { codec: createZstdCodec(), ours: false },
  snappy: { codec: createSnappyCodec(), ours: true },
  lz4: { codec: createLz4Codec(), ours: true },
}

/** Compressible plain text of up to ~6 KiB, so valid frames have several elements to damage. */
const plainText = fc
  .array(fc.constantFrom('key-', 'value ', 'samsa ', '0123', '\n', 'zz'), { minLength: 1, maxLength: 1000 })
  .map((parts) => Buffer.from(parts.join('')))

/** Records the largest Buffer.alloc/allocUnsafe request while `run` runs (a plain patch: spies are slow). */
async function largestAllocation(run: () => Promise<unknown>): Promise<number> {
  let largest = 0
  const { alloc, allocUnsafe } = Buffer
  Buffer.alloc = ((size: number, ...rest: never[]) => {
    largest = Math.max(largest, size)
    return alloc(size, ...rest)
  }) as typeof Buffer.alloc
  Buffer.allocUnsafe = (size: number) => {
    largest = Math.max(largest, size)
    return allocUnsafe(size)
  }
  try {
    await run().catch(() => undefined)
  } finally {
    Buffer.alloc = alloc
    Buffer.allocUnsafe = allocUnsafe
  }
  return largest
}

/** Decompresses `input` and checks the outcome obeys the contract; returns a description of a violation. */
async function violation(name: string, input: Buffer, maxOutputBytes = LIMIT): Promise<string | null> {
  const { codec, ours } = cases[name]!
  let output: Buffer
  try {
    output = await codec.decompress(input, { maxOutputBytes })
  } catch (error) {
    if (!(error instanceof Error)) return `threw a non-Error ${String(error)}`
    if (!ours) return null
    const tooLarge =
      error instanceof RangeError && (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    if (error instanceof CorruptRecordError || tooLarge) return null
    return `threw ${error.constructor.name}: ${error.message}`
  }
  if (!Buffer.isBuffer(output)) return 'returned something other than a Buffer'
  if (output.length > maxOutputBytes) return `returned ${output.length} bytes, limit ${maxOutputBytes}`
  return null
}

function flip(bytes: Buffer, positions: number[], bits: number[]): Buffer {
  const copy = Buffer.from(bytes)
  positions.forEach((p, i) => {
    const at = p % copy.length
    copy[at] = copy[at]! ^ (1 << (bits[i]! % 8))
  })
  return copy
}

for (const name of Object.keys(cases)) {
  const { codec } = cases[name]!
  describe(`${name}: hostile input`, () => {
    it('random bytes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
          expect(await violation(name, Buffer.from(bytes))).toBeNull()
        }),
        { numRuns: 300 },
      )
    })

    it('random bytes after a valid stream header', async () => {
      const header = (await codec.compress(Buffer.from('x'))).subarray(0, name === 'snappy' ? 16 : 7)
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
          expect(await violation(name, Buffer.concat([header, bytes]))).toBeNull()
        }),
        { numRuns: 300 },
      )
    })

    it('every kind of truncation of valid output', async () => {
      await fc.assert(
        fc.asyncProperty(plainText, fc.nat(), async (plain, cut) => {
          const full = await codec.compress(plain)
          expect(await violation(name, full.subarray(0, cut % full.length))).toBeNull()
        }),
        { numRuns: 200 },
      )
    })

    it('bit flips in valid output', async () => {
      await fc.assert(
        fc.asyncProperty(
          plainText,
          fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
          async (plain, positions, bits) => {
            const damaged = flip(await codec.compress(plain), positions, bits)
            expect(await violation(name, damaged)).toBeNull()
          },
        ),
        { numRuns: 300 },
      )
    })

    it('output larger than the limit is refused, however it is split into frames or chunks', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.nat({ max: 255 }), async (copies, fill) => {
          const bomb = Buffer.alloc(LIMIT + 1, fill)
          const one = await codec.compress(bomb)
          const input = name === 'snappy' || copies === 1 ? one : Buffer.concat(Array(copies).fill(one))
          await expect(codec.decompress(input, { maxOutputBytes: LIMIT })).rejects.toThrow()
          expect(await violation(name, input)).toBeNull()
        }),
        { numRuns: 10 },
      )
    })
  })
}

describe('allocation of the TypeScript codecs stays within the limit', () => {
  for (const name of ['snappy', 'lz4']) {
    it(`${name}: random, truncated and bit-flipped input with a small limit`, async () => {
      const { codec } = cases[name]!
      const limit = 4096
      await fc.assert(
        fc.asyncProperty(
          plainText,
          fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
          fc.nat(),
          async (plain, positions, bits, cut) => {
            const full = await codec.compress(plain)
            for (const input of [flip(full, positions, bits), full.subarray(0, cut % full.length)]) {
              const largest = await largestAllocation(() =>
                codec.decompress(input, { maxOutputBytes: limit }),
              )
              expect(largest).toBeLessThanOrEqual(limit)
            }
          },
        ),
        { numRuns: 200 },
      )
    })
  }

  it('snappy: a block that declares the whole limit in a few bytes is refused before allocating it', async () => {
    // Varint 0x3fffffff (~1 GiB) then one literal byte: no element can expand 2 input bytes that far.
    const input = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x61])
    const largest = await largestAllocation(() =>
      createSnappyCodec().decompress(input, { maxOutputBytes: 1 << 30 }),
    )
    expect(largest).toBeLessThan(1024)
    await expect(createSnappyCodec().decompress(input, { maxOutputBytes: 1 << 30 })).rejects.toBeInstanceOf(
      CorruptRecordError,
    )
  })
})

describe('zlib-backed codecs honour the limit', () => {
  it('gzip and zstd stop at maxOutputBytes on a bomb (1 MiB of zeros in a few hundred bytes)', async () => {
    const zeros = Buffer.alloc(1 << 20)
    expect(gzipSync(zeros).length).toBeLessThan(2048)
    expect(deflateRawSync(zeros).length).toBeLessThan(2048)
    for (const name of ['gzip', 'zstd']) {
      const { codec } = cases[name]!
      const input = await codec.compress(zeros)
      await expect(codec.decompress(input, { maxOutputBytes: LIMIT })).rejects.toMatchObject({
        code: 'ERR_BUFFER_TOO_LARGE',
      })
    }
  })
})
