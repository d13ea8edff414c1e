import { describe, expect, it } from 'vitest'
import type { CompletedRange } from '../../../src/consumer/offsets/completed-offsets-metadata.ts'
import { metadataNearLimit } from '../../../src/processing/metadata-budget.ts'

/** `count` ranges of `length` offsets, each after `gap` open offsets. */
function ranges(count: number, gap: number, length: number): CompletedRange[] {
  const out: CompletedRange[] = []
  let next = 0n
  for (let i = 0; i < count; i++) {
    const first = next + BigInt(gap)
    out.push({ first, last: first + BigInt(length - 1) })
    next = first + BigInt(length)
  }
  return out
}

describe('metadataNearLimit', () => {
  it('isolated completions (2 bytes each): the budget is reached between 1,370 and 1,400 ranges', () => {
    expect(metadataNearLimit(ranges(1370, 1, 1), 0)).toBe(false)
    expect(metadataNearLimit(ranges(1400, 1, 1), 0)).toBe(true)
  })

  it('ranges longer than 128 offsets cost 3 bytes: the budget is reached below 1,021 ranges, where the encoding would start dropping them', () => {
    // A count-based budget of 1,400 ranges let these grow until the highest were left out of the metadata.
    expect(metadataNearLimit(ranges(900, 1, 200), 0)).toBe(false)
    expect(metadataNearLimit(ranges(1000, 1, 200), 0)).toBe(true)
    expect(metadataNearLimit(ranges(1000, 200, 1), 0)).toBe(true)
  })

  it('messages in handlers count as the ranges they may add when they complete', () => {
    // 1,000 isolated completions (2,676 characters) leave room for fewer than 300 more in flight.
    expect(metadataNearLimit(ranges(1000, 1, 1), 200)).toBe(false)
    expect(metadataNearLimit(ranges(1000, 1, 1), 300)).toBe(true)
    // Nothing completed yet: at most 921 messages may be in flight (4 characters each).
    expect(metadataNearLimit([], 900)).toBe(false)
    expect(metadataNearLimit([], 930)).toBe(true)
  })

  it('few ranges are never near the limit, whatever their sizes', () => {
    expect(metadataNearLimit([], 0)).toBe(false)
    expect(metadataNearLimit(ranges(499, 100_000, 100_000), 0)).toBe(false)
  })
})
