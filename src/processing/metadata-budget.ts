/**
 * When a partition processed out of order must take no more work: when what it completed beyond its oldest
 * open message nears what one commit's metadata can carry. Past that, the encoder leaves the highest ranges
 * out (safe, they are processed again after a crash), so more work would only widen what a crash repeats.
 *
 * A range costs 2 bytes of metadata while the open gaps before it and its length stay under 128 offsets, and
 * 3 to 5 bytes when they do not (1,531 ranges fit the broker's default 4096 bytes in the first case, 1,021 or
 * 765 in the others; see docs/offset-strategies.md). So the budget is counted in encoded characters, not in
 * ranges; the count only decides when encoding is worth doing at all.
 */

import {
  type CompletedRange,
  DEFAULT_METADATA_MAX_BYTES,
  encodeCompletedOffsets,
} from '../consumer/offsets/completed-offsets-metadata.ts'

/**
 * Below this many ranges and messages in flight together the metadata fits with room whatever their sizes
 * (500 × 5 bytes: 3,343 characters), so encoding is not worth it.
 */
export const rangesWorthMeasuring = 500

/** Encoded characters at which a partition takes no more work: 90 % of the broker's default limit. */
export const metadataCharBudget = Math.floor(DEFAULT_METADATA_MAX_BYTES * 0.9)

/**
 * What one message still in a handler may add to the encoding when it completes, in characters: a new range
 * (a gap and a length varint, 2 bytes while both stay under 16,384) or a longer varint of a range it extends,
 * at most 3 bytes, which base64 makes 4 characters.
 */
export const charsPerMessageInFlight = 4

/**
 * Whether `ranges` (completed beyond the gap, ascending), with what `inFlight` messages may add when they
 * complete, reach the budget: a partition takes no more work then, so whatever completes keeps fitting.
 */
export function metadataNearLimit(ranges: readonly CompletedRange[], inFlight: number): boolean {
  const pending = inFlight * charsPerMessageInFlight
  if (ranges.length + inFlight < rangesWorthMeasuring) return false
  const first = ranges[0]
  if (first === undefined) return pending >= metadataCharBudget
  // The base only changes the first gap's varint; the range's own start minus one is as close as it gets.
  const metadata = encodeCompletedOffsets(first.first - 1n, ranges)
  return (metadata?.length ?? 0) + pending >= metadataCharBudget
}
