import { describe, expect, it } from 'vitest'
import {
  decodeCompletedOffsets,
  encodeCompletedOffsets,
} from '../../../src/consumer/offsets/completed-offsets-metadata.ts'
import { PartitionMarks } from '../../../src/processing/partition-marks.ts'

function handedOut(...offsets: number[]): PartitionMarks {
  const marks = new PartitionMarks('orders', 3)
  for (const offset of offsets) marks.begin(BigInt(offset))
  return marks
}

const at = (offset: number, leaderEpoch = 4) => ({ offset: BigInt(offset), leaderEpoch })

describe('PartitionMarks', () => {
  it('commits the next offset after a contiguous run of marks, with the epoch of the last record', () => {
    const marks = handedOut(5, 6, 7)
    expect(marks.mark(at(5))).toBe(true)
    expect(marks.committable).toEqual({ topic: 'orders', partition: 3, offset: 6n, leaderEpoch: 4 })
  })

  it('stops at the first open offset: 5 and 7 done, 6 open, commits 6', () => {
    const marks = handedOut(5, 6, 7)
    marks.mark(at(5))
    expect(marks.mark(at(7))).toBe(false)
    expect(marks.committable?.offset).toBe(6n)
    expect(marks.mark(at(6))).toBe(true)
    expect(marks.committable?.offset).toBe(8n)
  })

  it('while the first handed-out message is open, commits where it began with what is done beyond it', () => {
    const marks = handedOut(10, 11)
    expect(marks.uncommitted()).toBeUndefined()
    expect(marks.mark(at(11))).toBe(false)
    expect(marks.committable).toBeUndefined()
    const commit = marks.uncommitted()
    expect(commit?.offset).toBe(10n)
    expect(decodeCompletedOffsets(10n, commit?.metadata)).toEqual([{ first: 11n, last: 11n }])
  })

  it('carries completed-beyond-the-gap ranges in the commit metadata, and commits again when only they change', () => {
    const marks = handedOut(5, 6, 7, 8, 9)
    marks.mark(at(5))
    marks.mark(at(7))
    marks.mark(at(9))
    const first = marks.uncommitted()
    expect(first?.offset).toBe(6n)
    expect(decodeCompletedOffsets(6n, first?.metadata)).toEqual([
      { first: 7n, last: 7n },
      { first: 9n, last: 9n },
    ])
    marks.committed(6n, first?.metadata ?? null)
    expect(marks.uncommitted()).toBeUndefined()
    expect(marks.isCommitted(7n)).toBe(true)
    expect(marks.isCommitted(8n)).toBe(false)
    marks.mark(at(8))
    const second = marks.uncommitted()
    expect(second?.offset).toBe(6n)
    expect(decodeCompletedOffsets(6n, second?.metadata)).toEqual([{ first: 7n, last: 9n }])
    marks.mark(at(6))
    expect(marks.uncommitted()).toMatchObject({ offset: 10n })
    expect(marks.uncommitted()?.metadata).toBeUndefined()
  })

  it('restores what a previous owner completed beyond its commit and keeps it in later metadata', () => {
    const previous = handedOut(20, 21, 22, 23)
    previous.mark(at(22))
    const commit = previous.uncommitted()!
    const marks = new PartitionMarks('orders', 3)
    marks.restore(commit.offset, commit.metadata ?? null)
    expect([20n, 21n, 22n, 23n].map((o) => marks.wasCompleted(o))).toEqual([false, false, true, false])
    marks.begin(20n)
    marks.mark(at(20))
    // 21 not handed out yet, 22 restored: the commit stops at 21 and still lists 22.
    const next = marks.uncommitted()!
    expect(next.offset).toBe(21n)
    expect(decodeCompletedOffsets(21n, next.metadata)).toEqual([{ first: 22n, last: 22n }])
  })

  it('moves the committable offset over a restored range once everything before it is done', () => {
    const marks = new PartitionMarks('orders', 3)
    marks.restore(0n, encodeCompletedOffsets(0n, [{ first: 1n, last: 29n }]))
    marks.begin(0n)
    marks.mark(at(0))
    expect(marks.uncommitted()).toMatchObject({ offset: 30n })
    expect(marks.uncommitted()?.metadata).toBeUndefined()
  })

  it('1,400 isolated completions beyond an open offset (one range each) still fit the 4096-byte metadata', () => {
    // Every other message completed, the ones between still open: the worst case, one range per completion.
    const marks = handedOut(...Array.from({ length: 2 * 1400 + 1 }, (_, i) => i))
    for (let i = 1; i <= 2 * 1400; i += 2) marks.mark(at(i))
    expect(marks.rangesAtLeast(1400)).toBe(true)
    expect(marks.rangesAtLeast(1401)).toBe(false)
    const commit = marks.uncommitted()!
    expect(commit.offset).toBe(0n)
    expect(Buffer.byteLength(commit.metadata!, 'utf8')).toBeLessThanOrEqual(4096)
    expect(decodeCompletedOffsets(0n, commit.metadata)).toHaveLength(1400)
  })

  it('reads metadata of other tools as nothing completed', () => {
    const marks = new PartitionMarks('orders', 3)
    marks.restore(5n, 'written by another client')
    expect(marks.wasCompleted(6n)).toBe(false)
    expect(marks.isCommitted(4n)).toBe(true)
  })

  it('markThrough marks everything handed out up to the message, but nothing not yet handed out', () => {
    const marks = handedOut(0, 1, 2, 3)
    expect(marks.markThrough(at(2))).toBe(true)
    expect(marks.committable?.offset).toBe(3n)
    expect(marks.openCount).toBe(1)
    expect(marks.markThrough(at(9))).toBe(false)
    expect(marks.committable?.offset).toBe(3n)
  })

  it('skips gaps in the offsets (compaction, transaction markers)', () => {
    const marks = handedOut(0, 4, 9)
    marks.mark(at(0))
    marks.mark(at(4))
    expect(marks.committable?.offset).toBe(9n)
    marks.mark(at(9))
    expect(marks.committable?.offset).toBe(10n)
  })

  it('never moves backwards and reports each committable offset once', () => {
    const marks = handedOut(0, 1)
    marks.markThrough(at(1))
    expect(marks.uncommitted()?.offset).toBe(2n)
    marks.committed(2n)
    expect(marks.uncommitted()).toBeUndefined()
    expect(marks.markThrough(at(0))).toBe(false)
    expect(marks.committable?.offset).toBe(2n)
  })

  it('rewind (a nack) takes back the open messages from the offset on; they can be handed out again', () => {
    const marks = handedOut(5, 6, 7)
    marks.mark(at(5))
    marks.mark(at(7))
    expect(marks.rewind(6n)).toBe(true)
    expect(marks.openCount).toBe(0)
    // 7 was marked but comes again after 6, so the commit stays at 6.
    expect(marks.committable?.offset).toBe(6n)
    marks.begin(6n)
    marks.begin(7n)
    marks.mark(at(6))
    expect(marks.committable?.offset).toBe(7n)
  })

  it('ignores a rewind to an offset already consumed', () => {
    const marks = handedOut(5, 6)
    marks.markThrough(at(6))
    expect(marks.rewind(5n)).toBe(false)
    expect(marks.committable?.offset).toBe(7n)
  })

  it('refuses offsets handed out out of order', () => {
    const marks = handedOut(5)
    expect(() => marks.begin(5n)).toThrow(RangeError)
  })
})
