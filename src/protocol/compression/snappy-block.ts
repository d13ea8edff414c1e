/**
 * Snappy's raw block format, in TypeScript: a varint of the uncompressed length, then a stream of elements,
 * each a literal run or a back-reference (copy) into the output written so far.
 *
 * The compressor is a single-pass greedy matcher over 64 KiB fragments (so every copy offset fits in two
 * bytes), which is what the reference implementation does; its output is valid for any Snappy decoder.
 */

import { malformed, outputTooLarge } from './codec-errors.ts'

const TAG_LITERAL = 0
const TAG_COPY_1 = 1
const TAG_COPY_2 = 2

/** Matches never reach across a fragment boundary, which bounds every offset below 65536. */
const FRAGMENT_BYTES = 1 << 16
const HASH_BITS = 14
const MIN_MATCH = 4
/** The longest copy one element can express with a two-byte offset. */
const MAX_COPY_2 = 64

/** The most bytes compressing `length` bytes can produce (the reference implementation's bound). */
export function maxSnappyBlockBytes(length: number): number {
  return 32 + length + Math.floor(length / 6)
}

/** Compresses `input` as one raw Snappy block. */
export function compressSnappyBlock(input: Uint8Array): Buffer {
  const output = Buffer.allocUnsafe(maxSnappyBlockBytes(input.length))
  let pos = writeVarint(output, 0, input.length)
  const table = new Int32Array(1 << HASH_BITS)
  for (let start = 0; start < input.length; start += FRAGMENT_BYTES) {
    const end = Math.min(start + FRAGMENT_BYTES, input.length)
    pos = compressFragment(input, start, end, output, pos, table)
  }
  return output.subarray(0, pos)
}

function compressFragment(
  input: Uint8Array,
  start: number,
  end: number,
  output: Buffer,
  pos: number,
  table: Int32Array,
): number {
  table.fill(-1)
  let literalStart = start
  let i = start
  // The last MIN_MATCH bytes cannot start a match; they end up in the final literal.
  const matchLimit = end - MIN_MATCH
  while (i <= matchLimit) {
    const word = load32(input, i)
    const slot = hash(word)
    const candidate = table[slot]!
    table[slot] = i
    if (candidate < start || load32(input, candidate) !== word) {
      i++
      continue
    }
    let length = MIN_MATCH
    while (i + length < end && input[candidate + length] === input[i + length]) length++
    if (literalStart < i) pos = emitLiteral(input, literalStart, i, output, pos)
    pos = emitCopy(output, pos, i - candidate, length)
    i += length
    literalStart = i
  }
  if (literalStart < end) pos = emitLiteral(input, literalStart, end, output, pos)
  return pos
}

function emitLiteral(input: Uint8Array, from: number, to: number, output: Buffer, pos: number): number {
  const n = to - from - 1
  if (n < 60) {
    output[pos++] = (n << 2) | TAG_LITERAL
  } else {
    // Tags 60..63 say the length minus one follows in 1..4 little-endian bytes.
    const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4
    output[pos++] = ((59 + bytes) << 2) | TAG_LITERAL
    for (let b = 0; b < bytes; b++) output[pos++] = (n >>> (8 * b)) & 0xff
  }
  output.set(input.subarray(from, to), pos)
  return pos + (to - from)
}

function emitCopy(output: Buffer, pos: number, offset: number, length: number): number {
  let remaining = length
  // Long matches become several copies; keeping each piece >= 4 lets the short form be used where it fits.
  while (remaining > 0) {
    let piece = Math.min(remaining, MAX_COPY_2)
    if (remaining - piece > 0 && remaining - piece < MIN_MATCH) piece = remaining - MIN_MATCH
    if (piece >= 4 && piece <= 11 && offset < 2048) {
      output[pos++] = ((offset >>> 8) << 5) | ((piece - 4) << 2) | TAG_COPY_1
      output[pos++] = offset & 0xff
    } else {
      output[pos++] = ((piece - 1) << 2) | TAG_COPY_2
      output[pos++] = offset & 0xff
      output[pos++] = offset >>> 8
    }
    remaining -= piece
  }
  return pos
}

/** The uncompressed length a raw Snappy block declares, and where its elements start. */
export function snappyBlockLength(input: Uint8Array): { length: number; headerBytes: number } {
  let length = 0
  for (let i = 0; i < 5; i++) {
    const byte = input[i]
    if (byte === undefined) throw malformed('snappy', 'truncated length header')
    length += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) {
      if (length > 0xffffffff) throw malformed('snappy', 'length header above 2^32 - 1')
      return { length, headerBytes: i + 1 }
    }
  }
  throw malformed('snappy', 'length header longer than 5 bytes')
}

/** Decompresses one raw Snappy block, refusing before allocating when it declares more than `maxOutputBytes`. */
export function decompressSnappyBlock(input: Uint8Array, maxOutputBytes: number): Buffer {
  const { length, headerBytes } = snappyBlockLength(input)
  if (length > maxOutputBytes) throw outputTooLarge('snappy', maxOutputBytes)
  // No element yields more than 64 bytes from 3 (a two-byte-offset copy), so a block that declares more
  // than that ratio of its size is corrupt; checking it first keeps a 7-byte block from allocating the limit.
  if (length > Math.ceil(((input.length - headerBytes) * MAX_COPY_2) / 3)) {
    throw malformed('snappy', `${input.length} bytes cannot hold the ${length} bytes the block declares`)
  }
  const output = Buffer.allocUnsafe(length)
  let out = 0
  let i = headerBytes
  while (i < input.length) {
    const tag = input[i++]!
    const kind = tag & 3
    if (kind === TAG_LITERAL) {
      let n = tag >>> 2
      if (n >= 60) {
        const bytes = n - 59
        if (i + bytes > input.length) throw malformed('snappy', 'truncated literal length')
        n = 0
        for (let b = 0; b < bytes; b++) n += input[i + b]! * 2 ** (8 * b)
        i += bytes
      }
      n += 1
      if (i + n > input.length) throw malformed('snappy', 'literal runs past the end of the input')
      if (out + n > length) throw malformed('snappy', 'literal runs past the declared length')
      output.set(input.subarray(i, i + n), out)
      i += n
      out += n
      continue
    }
    let copyLength: number
    let offset: number
    if (kind === TAG_COPY_1) {
      if (i + 1 > input.length) throw malformed('snappy', 'truncated copy')
      copyLength = 4 + ((tag >>> 2) & 7)
      offset = ((tag >>> 5) << 8) | input[i++]!
    } else if (kind === TAG_COPY_2) {
      if (i + 2 > input.length) throw malformed('snappy', 'truncated copy')
      copyLength = 1 + (tag >>> 2)
      offset = input[i]! | (input[i + 1]! << 8)
      i += 2
    } else {
      // A copy with a four-byte offset; never written here, since fragments keep offsets below 65536.
      if (i + 4 > input.length) throw malformed('snappy', 'truncated copy')
      copyLength = 1 + (tag >>> 2)
      offset = (input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24)) >>> 0
      i += 4
    }
    if (offset === 0 || offset > out) throw malformed('snappy', `copy offset ${offset} outside the output`)
    if (out + copyLength > length) throw malformed('snappy', 'copy runs past the declared length')
    copyWithin(output, out, offset, copyLength)
    out += copyLength
  }
  if (out !== length) throw malformed('snappy', `declared ${length} bytes, produced ${out}`)
  return output
}

/** A back-reference; byte by byte when it overlaps itself (offset < length repeats a pattern). */
export function copyWithin(output: Uint8Array, out: number, offset: number, length: number): void {
  const from = out - offset
  if (offset >= length) {
    output.copyWithin(out, from, from + length)
    return
  }
  for (let k = 0; k < length; k++) output[out + k] = output[from + k]!
}

function load32(input: Uint8Array, i: number): number {
  return input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24)
}

function hash(word: number): number {
  return Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS)
}

function writeVarint(output: Buffer, pos: number, value: number): number {
  let v = value
  while (v >= 0x80) {
    output[pos++] = (v & 0x7f) | 0x80
    v = Math.floor(v / 128)
  }
  output[pos++] = v
  return pos
}
