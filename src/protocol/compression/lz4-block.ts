/**
 * LZ4's block format, in TypeScript. A block is a list of sequences, each `token, literals, offset, match`:
 * the token's high nibble is the literal count and its low nibble the match length minus 4, both extended
 * with 255-runs when they reach 15. The final sequence has literals only.
 */

import { malformed } from './codec-errors.ts'
import { copyWithin } from './snappy-block.ts'

const MIN_MATCH = 4
/** The format requires the last 5 bytes to be literals ... */
const LAST_LITERALS = 5
/** ... and the last match to start at least 12 bytes before the end. */
const MATCH_FIND_LIMIT = 12
const HASH_BITS = 14
const MAX_OFFSET = 0xffff

/** The most bytes compressing `length` bytes can produce. */
export function maxLz4BlockBytes(length: number): number {
  return length + Math.floor(length / 255) + 16
}

/**
 * Compresses `input[start, end)` into `output` at `pos`, returning the end position. `output` must have
 * {@link maxLz4BlockBytes} free bytes.
 */
export function compressLz4Block(
  input: Uint8Array,
  start: number,
  end: number,
  output: Uint8Array,
  pos: number,
  table: Int32Array,
): number {
  table.fill(-1)
  let anchor = start
  let i = start
  const searchLimit = end - MATCH_FIND_LIMIT
  const matchEndLimit = end - LAST_LITERALS
  while (i < searchLimit) {
    const word = load32(input, i)
    const slot = Math.imul(word, 0x9e3779b1) >>> (32 - HASH_BITS)
    const candidate = table[slot]!
    table[slot] = i
    if (candidate < start || i - candidate > MAX_OFFSET || load32(input, candidate) !== word) {
      i++
      continue
    }
    let length = MIN_MATCH
    while (i + length < matchEndLimit && input[candidate + length] === input[i + length]) length++
    const token = pos
    pos = writeSequence(input, anchor, i, output, pos)
    output[pos++] = (i - candidate) & 0xff
    output[pos++] = (i - candidate) >>> 8
    if (length - MIN_MATCH >= 15) pos = writeLengthExtension(output, pos, length - MIN_MATCH - 15)
    // The token was written by writeSequence with a zero low nibble; fill in the match length.
    output[token] = output[token]! | Math.min(length - MIN_MATCH, 15)
    i += length
    anchor = i
  }
  return writeSequence(input, anchor, end, output, pos)
}

/** Writes a token (match nibble left zero) and the literals `input[from, to)`. */
function writeSequence(input: Uint8Array, from: number, to: number, output: Uint8Array, pos: number): number {
  const literals = to - from
  output[pos++] = Math.min(literals, 15) << 4
  if (literals >= 15) pos = writeLengthExtension(output, pos, literals - 15)
  output.set(input.subarray(from, to), pos)
  return pos + literals
}

function writeLengthExtension(output: Uint8Array, pos: number, value: number): number {
  let rest = value
  while (rest >= 255) {
    output[pos++] = 255
    rest -= 255
  }
  output[pos++] = rest
  return pos
}

/**
 * Decompresses the block `input[start, end)` into `output` from `out`, never writing at or past `limit`;
 * returns the new output position. Matches may reach back into earlier output (dependent blocks).
 */
export function decompressLz4Block(
  input: Uint8Array,
  start: number,
  end: number,
  output: Uint8Array,
  out: number,
  limit: number,
  onOverflow: () => Error,
): number {
  let i = start
  for (;;) {
    if (i >= end) throw malformed('lz4', 'block ends before its last sequence')
    const token = input[i++]!
    let literals = token >>> 4
    if (literals === 15) {
      let byte: number
      do {
        if (i >= end) throw malformed('lz4', 'truncated literal length')
        byte = input[i++]!
        literals += byte
      } while (byte === 255)
    }
    if (i + literals > end) throw malformed('lz4', 'literals run past the end of the block')
    if (out + literals > limit) throw onOverflow()
    output.set(input.subarray(i, i + literals), out)
    i += literals
    out += literals
    if (i === end) return out
    if (i + 2 > end) throw malformed('lz4', 'truncated match offset')
    const offset = input[i]! | (input[i + 1]! << 8)
    i += 2
    let length = token & 15
    if (length === 15) {
      let byte: number
      do {
        if (i >= end) throw malformed('lz4', 'truncated match length')
        byte = input[i++]!
        length += byte
      } while (byte === 255)
    }
    length += MIN_MATCH
    if (offset === 0 || offset > out) throw malformed('lz4', `match offset ${offset} outside the output`)
    if (out + length > limit) throw onOverflow()
    copyWithin(output, out, offset, length)
    out += length
  }
}

function load32(input: Uint8Array, i: number): number {
  return input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24)
}
