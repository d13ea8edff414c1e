/**
 * Offsets completed beyond the committed offset, carried in the OffsetCommit metadata string, so that work a
 * member finished out of order survives a restart or a rebalance: the next owner reads the committed offset's
 * metadata and skips what is listed there instead of doing it again.
 *
 * Format: `samsa:c1:` followed by base64url of
 *   count (unsigned varint), then per range: gap (unsigned varint), length - 1 (unsigned varint)
 * where `gap` is the distance from the end of the previous range (the committed offset for the first) to the
 * range's first offset. Ranges ascend and never touch the committed offset itself (that one is by definition
 * not completed, or the commit would be further on). Relative varints make isolated completions cost two
 * bytes each before base64: in the broker's default `offset.metadata.max.bytes` of 4096, 1,531 isolated
 * completions fit (measured in the unit test; fewer as the gaps between them grow past 127 offsets), and any
 * number of contiguous ones.
 *
 * Decoding never throws: metadata written by other tools (plain strings, other clients' formats) or a
 * corrupt value reads as "nothing completed beyond the commit", which only costs reprocessing.
 */

/** Completed offsets `first`..`last`, both included. */
export interface CompletedRange {
  readonly first: bigint
  readonly last: bigint
}

const PREFIX = 'samsa:c1:'
/** The broker's default `offset.metadata.max.bytes`; the encoder keeps within it unless told otherwise. */
export const DEFAULT_METADATA_MAX_BYTES = 4096

/**
 * The metadata for a commit at `committed` with `ranges` completed beyond it, within `maxBytes`. Ranges that
 * do not fit are left out, the highest first: they will be processed again, which is safe. Returns null when
 * there is nothing to say, so plain commits stay plain.
 */
export function encodeCompletedOffsets(
  committed: bigint,
  ranges: readonly CompletedRange[],
  maxBytes = DEFAULT_METADATA_MAX_BYTES,
): string | null {
  const beyond = ranges.filter((r) => r.last > committed)
  if (beyond.length === 0) return null
  const parts: number[][] = []
  let previousEnd = committed
  for (const range of beyond) {
    const first = range.first > committed ? range.first : committed + 1n
    parts.push([...varint(first - previousEnd), ...varint(range.last - first)])
    previousEnd = range.last
  }
  // Keep as many of the lowest ranges as fit: unpadded base64 turns n bytes into ceil(4n / 3) characters.
  const room = maxBytes - PREFIX.length
  let count = 0
  let size = 0
  while (count < parts.length) {
    const next = size + parts[count]!.length
    if (Math.ceil(((varint(BigInt(count + 1)).length + next) * 4) / 3) > room) break
    size = next
    count++
  }
  if (count === 0) return null
  const bytes = [...varint(BigInt(count)), ...parts.slice(0, count).flat()]
  return PREFIX + Buffer.from(bytes).toString('base64url')
}

/**
 * The ranges completed beyond `committed` that `metadata` lists, or an empty list when it lists none, is not
 * samsa's, or is damaged. At most `maxRanges` are read, so a hostile string cannot make this allocate much.
 */
export function decodeCompletedOffsets(
  committed: bigint,
  metadata: string | null | undefined,
  maxRanges = DEFAULT_METADATA_MAX_BYTES,
): CompletedRange[] {
  if (metadata === null || metadata === undefined || !metadata.startsWith(PREFIX)) return []
  const body = metadata.slice(PREFIX.length)
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return []
  const bytes = Buffer.from(body, 'base64url')
  const reader = { bytes, at: 0 }
  const count = readVarint(reader)
  if (count === undefined || count > BigInt(maxRanges)) return []
  const ranges: CompletedRange[] = []
  let previousEnd = committed
  for (let i = 0n; i < count; i++) {
    const gap = readVarint(reader)
    const length = readVarint(reader)
    if (gap === undefined || length === undefined || gap === 0n) return []
    const first = previousEnd + gap
    const last = first + length
    ranges.push({ first, last })
    previousEnd = last
  }
  return reader.at === bytes.length ? ranges : []
}

function varint(value: bigint): number[] {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80)
    rest >>= 7n
  }
  out.push(Number(rest))
  return out
}

/** An unsigned varint of at most 63 bits, or undefined when the bytes end early or it is longer. */
function readVarint(reader: { bytes: Buffer; at: number }): bigint | undefined {
  let value = 0n
  for (let shift = 0n; shift < 63n; shift += 7n) {
    const byte = reader.bytes[reader.at]
    if (byte === undefined) return undefined
    reader.at++
    value |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return value
  }
  return undefined
}
