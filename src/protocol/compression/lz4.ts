/**
 * LZ4 as Kafka carries it: the LZ4 *frame* format (magic, frame descriptor with its XXH32 header checksum,
 * size-prefixed blocks, end mark). The Java client writes independent 64 KiB blocks with no block or content
 * checksums; the reader here accepts every frame option except dictionaries, and verifies whichever
 * checksums a writer chose to include.
 */

import type { CompressionCodec } from './codec.ts'
import { malformed, outputTooLarge } from './codec-errors.ts'
import { compressLz4Block, decompressLz4Block, maxLz4BlockBytes } from './lz4-block.ts'
import { xxhash32 } from './xxhash32.ts'

const FRAME_MAGIC = 0x184d2204
const BLOCK_BYTES = 64 * 1024
/** Block maximum size ids 4..7 of the BD byte. */
const BLOCK_MAX_BYTES: Record<number, number> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
}
const UNCOMPRESSED_BLOCK_FLAG = 0x80000000

const FLG_VERSION_01 = 0x40
const FLG_BLOCK_INDEPENDENCE = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_DICT_ID = 0x01

/** Compresses `data` into one LZ4 frame of independent 64 KiB blocks, as the Java producer does. */
export function compressLz4Frame(data: Uint8Array): Buffer {
  const blocks = Math.ceil(data.length / BLOCK_BYTES)
  const output = Buffer.allocUnsafe(7 + blocks * (4 + maxLz4BlockBytes(BLOCK_BYTES)) + 4)
  output.writeUInt32LE(FRAME_MAGIC, 0)
  output[4] = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE
  output[5] = 4 << 4
  output[6] = (xxhash32(output, 0, 4, 6) >>> 8) & 0xff
  let pos = 7
  const table = new Int32Array(1 << 14)
  for (let start = 0; start < data.length; start += BLOCK_BYTES) {
    const end = Math.min(start + BLOCK_BYTES, data.length)
    const compressedEnd = compressLz4Block(data, start, end, output, pos + 4, table)
    const compressedBytes = compressedEnd - pos - 4
    if (compressedBytes < end - start) {
      output.writeUInt32LE(compressedBytes, pos)
      pos = compressedEnd
    } else {
      // Incompressible: store the block as is, flagged by the size's high bit.
      output.writeUInt32LE((UNCOMPRESSED_BLOCK_FLAG | (end - start)) >>> 0, pos)
      output.set(data.subarray(start, end), pos + 4)
      pos += 4 + end - start
    }
  }
  output.writeUInt32LE(0, pos)
  return output.subarray(0, pos + 4)
}

/** Decompresses one or more concatenated LZ4 frames, never producing more than `maxOutputBytes`. */
export function decompressLz4Frame(data: Uint8Array, maxOutputBytes: number): Buffer {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const overflow = () => outputTooLarge('lz4', maxOutputBytes)
  let output: Buffer = Buffer.allocUnsafe(Math.min(maxOutputBytes, Math.max(1024, input.length * 4)))
  let out = 0
  let i = 0
  do {
    if (i + 7 > input.length) throw malformed('lz4', 'truncated frame header')
    const magic = input.readUInt32LE(i)
    if (magic !== FRAME_MAGIC) throw malformed('lz4', `bad frame magic 0x${magic.toString(16)}`)
    const flg = input[i + 4]!
    const bd = input[i + 5]!
    if ((flg & 0xc0) !== FLG_VERSION_01) throw malformed('lz4', `unsupported frame version ${flg >>> 6}`)
    if (flg & FLG_DICT_ID) throw malformed('lz4', 'frames that need a dictionary are not supported')
    const blockMaxBytes = BLOCK_MAX_BYTES[(bd >>> 4) & 7]
    if (blockMaxBytes === undefined) throw malformed('lz4', `bad block maximum size id ${(bd >>> 4) & 7}`)
    const descriptorEnd = i + 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0)
    if (descriptorEnd + 1 > input.length) throw malformed('lz4', 'truncated frame descriptor')
    const headerChecksum = (xxhash32(input, 0, i + 4, descriptorEnd) >>> 8) & 0xff
    if (input[descriptorEnd] !== headerChecksum) throw malformed('lz4', 'frame descriptor checksum mismatch')
    const declaredBytes = flg & FLG_CONTENT_SIZE ? input.readBigUInt64LE(i + 6) : undefined
    i = descriptorEnd + 1
    const frameStart = out
    for (;;) {
      if (i + 4 > input.length) throw malformed('lz4', 'truncated block size')
      const word = input.readUInt32LE(i)
      i += 4
      if (word === 0) break
      const stored = (word & UNCOMPRESSED_BLOCK_FLAG) !== 0
      const size = word & 0x7fffffff
      if (size > blockMaxBytes) throw malformed('lz4', `block of ${size} bytes above the frame's maximum`)
      if (i + size > input.length) throw malformed('lz4', 'block runs past the end of the input')
      if (flg & FLG_BLOCK_CHECKSUM) {
        if (i + size + 4 > input.length) throw malformed('lz4', 'truncated block checksum')
        if (xxhash32(input, 0, i, i + size) !== input.readUInt32LE(i + size)) {
          throw malformed('lz4', 'block checksum mismatch')
        }
      }
      const limit = Math.min(maxOutputBytes, out + blockMaxBytes)
      if (output.length < limit) output = grow(output, out, limit, maxOutputBytes)
      if (stored) {
        if (out + size > limit) throw overflow()
        output.set(input.subarray(i, i + size), out)
        out += size
      } else {
        out = decompressLz4Block(input, i, i + size, output, out, limit, overflow)
      }
      i += size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0)
    }
    if (declaredBytes !== undefined && declaredBytes !== BigInt(out - frameStart)) {
      throw malformed('lz4', `frame declares ${declaredBytes} bytes of content, holds ${out - frameStart}`)
    }
    if (flg & FLG_CONTENT_CHECKSUM) {
      if (i + 4 > input.length) throw malformed('lz4', 'truncated content checksum')
      if (xxhash32(output, 0, frameStart, out) !== input.readUInt32LE(i)) {
        throw malformed('lz4', 'content checksum mismatch')
      }
      i += 4
    }
  } while (i < input.length)
  return output.subarray(0, out)
}

/** Doubles `output` until it holds `needed` bytes, never beyond `max`; keeps the first `used` bytes. */
function grow(output: Buffer, used: number, needed: number, max: number): Buffer {
  let size = output.length
  while (size < needed) size = Math.min(max, size * 2)
  const larger = Buffer.allocUnsafe(size)
  output.copy(larger, 0, 0, used)
  return larger
}

/** The LZ4 codec, in TypeScript; it runs on the event loop. */
export function createLz4Codec(): CompressionCodec {
  return {
    compress: async (data) => compressLz4Frame(data),
    decompress: async (data, limits) => decompressLz4Frame(data, limits.maxOutputBytes),
  }
}
