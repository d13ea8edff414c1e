import { describe, expect, it } from 'vitest'
import {
  type CompletedRange,
  DEFAULT_METADATA_MAX_BYTES,
  decodeCompletedOffsets,
  encodeCompletedOffsets,
} from '../../../src/consumer/offsets/completed-offsets-metadata.ts'

/** Every other offset after `committed` completed: the worst case for the encoding. */
function isolated(committed: bigint, count: number): CompletedRange[] {
  return Array.from({ length: count }, (_, i) => {
    const offset = committed + 2n + 2n * BigInt(i)
    return { first: offset, last: offset }
  })
}

describe('completed offsets in commit metadata', () => {
  it('round-trips ranges relative to the committed offset', () => {
    const ranges = [
      { first: 1002n, last: 1002n },
      { first: 1004n, last: 1010n },
      { first: 5_000_000_000n, last: 5_000_000_123n },
    ]
    const text = encodeCompletedOffsets(1000n, ranges)
    expect(text).toMatch(/^samsa:c1:[A-Za-z0-9_-]+$/)
    expect(decodeCompletedOffsets(1000n, text)).toEqual(ranges)
  })

  it('says nothing when nothing beyond the commit is completed, and drops what the commit already covers', () => {
    expect(encodeCompletedOffsets(10n, [])).toBeNull()
    expect(encodeCompletedOffsets(10n, [{ first: 3n, last: 9n }])).toBeNull()
    const text = encodeCompletedOffsets(10n, [{ first: 8n, last: 12n }])
    expect(decodeCompletedOffsets(10n, text)).toEqual([{ first: 11n, last: 12n }])
  })

  it('stays within the broker limit by leaving out the highest ranges, and reports how many isolated completions fit', () => {
    const ranges = isolated(0n, 5000)
    const text = encodeCompletedOffsets(0n, ranges)!
    expect(text.length).toBeLessThanOrEqual(DEFAULT_METADATA_MAX_BYTES)
    const decoded = decodeCompletedOffsets(0n, text)
    expect(decoded).toEqual(ranges.slice(0, decoded.length))
    // Two bytes a range before base64: about 1,500 isolated completions in 4096 characters.
    expect(decoded.length).toBe(1531)
    expect(encodeCompletedOffsets(0n, isolated(0n, 10), 8)).toBeNull()
  })

  it("reads other tools' metadata and damaged values as nothing completed, without throwing", () => {
    for (const foreign of [
      null,
      undefined,
      '',
      'checkpoint-42',
      '{"offset":5}',
      'samsa:c1:',
      'samsa:c1:!!!',
      'samsa:c2:AQIA',
    ]) {
      expect(decodeCompletedOffsets(7n, foreign)).toEqual([])
    }
    const good = encodeCompletedOffsets(0n, [{ first: 2n, last: 4n }])!
    // Truncated, extended, or claiming far more ranges than it holds.
    expect(decodeCompletedOffsets(0n, good.slice(0, -1))).toEqual([])
    expect(decodeCompletedOffsets(0n, `${good}AA`)).toEqual([])
    expect(
      decodeCompletedOffsets(0n, `samsa:c1:${Buffer.from([0xff, 0xff, 0xff, 0x7f]).toString('base64url')}`),
    ).toEqual([])
  })
})
