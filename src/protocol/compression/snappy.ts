/**
 * Snappy as Kafka carries it. The Java client writes the "xerial" stream of snappy-java: an 8-byte magic,
 * two int32 versions, then chunks of `int32 length + raw Snappy block`, each block compressing at most
 * 32 KiB. Readers must also accept one bare raw block, which some non-Java clients write (and which
 * snappy-java falls back to when the magic is absent).
 */

import type { CompressionCodec } from './codec.ts'
import { malformed, outputTooLarge } from './codec-errors.ts'
import { compressSnappyBlock, decompressSnappyBlock, snappyBlockLength } from './snappy-block.ts'

/** `0x82 'SNAPPY' 0x00`: the first byte is not valid as the start of a raw block's header in practice. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8
/** snappy-java's default block size, so chunks match what the Java producer writes. */
const XERIAL_CHUNK_BYTES = 32 * 1024

/** Wraps `data` in the xerial stream format, as the Java producer does. */
export function compressXerialSnappy(data: Uint8Array): Buffer {
  const parts: Buffer[] = [xerialHeader()]
  for (let start = 0; start < data.length; start += XERIAL_CHUNK_BYTES) {
    const block = compressSnappyBlock(data.subarray(start, start + XERIAL_CHUNK_BYTES))
    const length = Buffer.allocUnsafe(4)
    length.writeInt32BE(block.length, 0)
    parts.push(length, block)
  }
  return Buffer.concat(parts)
}

/** Reads a xerial stream or, when the magic is absent, a single raw Snappy block. */
export function decompressKafkaSnappy(data: Uint8Array, maxOutputBytes: number): Buffer {
  if (!hasXerialMagic(data)) return decompressSnappyBlock(data, maxOutputBytes)
  if (data.length < XERIAL_HEADER_BYTES) throw malformed('snappy', 'truncated xerial header')
  const chunks: Buffer[] = []
  let total = 0
  let i = XERIAL_HEADER_BYTES
  while (i < data.length) {
    if (i + 4 > data.length) throw malformed('snappy', 'truncated xerial chunk length')
    const length = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0
    i += 4
    if (i + length > data.length) throw malformed('snappy', 'xerial chunk runs past the end of the input')
    const block = data.subarray(i, i + length)
    i += length
    // Check the declared size before inflating, so the limit holds across chunks without over-allocating.
    if (total + snappyBlockLength(block).length > maxOutputBytes)
      throw outputTooLarge('snappy', maxOutputBytes)
    const chunk = decompressSnappyBlock(block, maxOutputBytes - total)
    chunks.push(chunk)
    total += chunk.length
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
}

function hasXerialMagic(data: Uint8Array): boolean {
  if (data.length < XERIAL_MAGIC.length) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false
  return true
}

function xerialHeader(): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES)
  XERIAL_MAGIC.copy(header, 0)
  // Stream format version 1, readable by readers of version 1 and later.
  header.writeInt32BE(1, 8)
  header.writeInt32BE(1, 12)
  return header
}

/**
 * The Snappy codec, in TypeScript. It runs on the event loop (there is no native Snappy in Node), at a few
 * hundred MB/s, which is well above what one connection carries.
 */
export function createSnappyCodec(): CompressionCodec {
  return {
    compress: async (data) => compressXerialSnappy(data),
    decompress: async (data, limits) => decompressKafkaSnappy(data, limits.maxOutputBytes),
  }
}
