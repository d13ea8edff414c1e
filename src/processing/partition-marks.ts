/**
 * Which offset of one partition may be committed, given which of its messages are marked consumed.
 *
 * Messages are handed to handlers in offset order, but may be finished out of order (a batch acks its
 * messages one by one, a manual handler marks whatever it likes). The committed offset means "everything
 * before this is done", so it only advances over an unbroken run of marked messages: with 5 and 7 marked
 * and 6 still open, the committable offset is 6. It never moves backwards.
 */

import type { TopicPartitionOffset } from '../common/types.ts'
import {
  type CompletedRange,
  decodeCompletedOffsets,
  encodeCompletedOffsets,
} from '../consumer/offsets/completed-offsets-metadata.ts'

export interface MarkedMessage {
  offset: bigint
  /** The message's leader epoch, or -1; committed with the offset so a restart can detect log truncation. */
  leaderEpoch: number
}

export class PartitionMarks {
  readonly topic: string
  readonly partition: number
  /** Offsets handed out and not yet marked, ascending. */
  private readonly open: bigint[] = []
  /** The first offset handed out; the committable offset only counts once it is past it. */
  private firstBegun: bigint | undefined
  /** The highest offset handed out (and not taken back by a rewind); nothing above it can be marked. */
  private lastBegun: bigint | undefined
  private highestMarked: MarkedMessage | undefined
  private committableOffset: TopicPartitionOffset | undefined
  private committedOffset: bigint | undefined
  /** The completed-beyond-the-commit metadata the coordinator holds with `committedOffset`. */
  private committedMetadata: string | null = null
  private committedRanges: CompletedRange[] = []
  /** Ranges a previous owner completed beyond its commit (read on assignment), not handed out again. */
  private restored: CompletedRange[] = []

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  /** Messages handed out and not marked yet. */
  get openCount(): number {
    return this.open.length
  }

  /** Whether `offset` was handed out (or queued, out of order) and is not marked yet. */
  isOpen(offset: bigint): boolean {
    return this.open.includes(offset)
  }

  /** The lowest offset handed out and not marked: what holds the committed offset back. */
  get oldestOpen(): bigint | undefined {
    return this.open[0]
  }

  /** The next offset to read that may be committed, or undefined while nothing contiguous is marked. */
  get committable(): TopicPartitionOffset | undefined {
    return this.committableOffset
  }

  /** Whether `offset` is already covered by the committable offset (marked through). */
  isConsumed(offset: bigint): boolean {
    return this.committableOffset !== undefined && offset < this.committableOffset.offset
  }

  /** Whether `offset` comes after everything handed out so far, as {@link begin} requires. */
  isAhead(offset: bigint): boolean {
    return this.lastBegun === undefined || offset > this.lastBegun
  }

  /** `offset` was handed to a handler. Offsets are handed out in ascending order (again after a rewind). */
  begin(offset: bigint): void {
    if (this.lastBegun !== undefined && offset <= this.lastBegun) {
      throw new RangeError(`offset ${offset} handed out after ${this.lastBegun}; offsets must ascend`)
    }
    this.firstBegun ??= offset
    this.lastBegun = offset
    this.open.push(offset)
  }

  /** Marks one message consumed. Returns true when the committable offset advanced. */
  mark(message: MarkedMessage): boolean {
    const index = this.open.indexOf(message.offset)
    if (index < 0) return false
    this.open.splice(index, 1)
    this.noteMarked(message)
    return this.advance()
  }

  /**
   * Marks `message` and every message handed out before it consumed (Karafka's `mark_as_consumed`: "up to
   * here is done"). Returns true when the committable offset advanced.
   */
  markThrough(message: MarkedMessage): boolean {
    if (this.isConsumed(message.offset)) return false
    if (this.lastBegun === undefined || message.offset > this.lastBegun) return false
    let removed = 0
    while (removed < this.open.length && (this.open[removed] as bigint) <= message.offset) removed++
    this.open.splice(0, removed)
    this.noteMarked(message)
    return this.advance()
  }

  /**
   * The partition goes back to `offset` (a nack): messages from there on will be handed out again, so they
   * are no longer open and marks above it no longer count. Returns false, changing nothing, when `offset` is
   * already consumed (a nack after the message was marked has no effect).
   */
  rewind(offset: bigint): boolean {
    if (this.isConsumed(offset)) return false
    while (this.open.length > 0 && (this.open.at(-1) as bigint) >= offset) this.open.pop()
    if (this.lastBegun !== undefined && this.lastBegun >= offset) this.lastBegun = offset - 1n
    if (this.highestMarked !== undefined && this.highestMarked.offset >= offset) {
      this.highestMarked = { offset: offset - 1n, leaderEpoch: -1 }
    }
    return true
  }

  /**
   * What the group holds for this partition when it was assigned: its committed offset and the metadata
   * committed with it. Ranges a previous owner completed beyond the commit are not handed out again.
   */
  restore(committed: bigint, metadata: string | null): void {
    this.committedOffset = committed
    this.committedMetadata = metadata
    this.committedRanges = decodeCompletedOffsets(committed, metadata)
    this.restored = this.committedRanges
  }

  /** Whether a previous owner completed `offset` (see {@link restore}): it is skipped, as a compaction gap is. */
  wasCompleted(offset: bigint): boolean {
    return this.restored.some((r) => offset >= r.first && offset <= r.last)
  }

  /**
   * Offsets completed beyond the committable offset (or, while nothing is committable, beyond the first
   * message handed out), ascending: everything handed out and not open, plus restored ranges not reached yet.
   */
  completedBeyond(): CompletedRange[] {
    const base = this.committableOffset?.offset ?? this.firstBegun
    const ranges: CompletedRange[] = []
    let cursor = base
    if (cursor !== undefined && this.lastBegun !== undefined) {
      for (const offset of this.open) {
        if (offset > cursor) ranges.push({ first: cursor, last: offset - 1n })
        cursor = offset + 1n
      }
      if (this.lastBegun >= cursor) ranges.push({ first: cursor, last: this.lastBegun })
    }
    const reached = this.lastBegun ?? this.committedOffset ?? -1n
    for (const range of this.restored) if (range.first > reached) ranges.push(range)
    return ranges
  }

  /**
   * Whether there are at least `limit` completed-beyond ranges: the next one might not fit the commit
   * metadata. Cheap while few messages are open (the ranges are only counted when they could be that many).
   */
  rangesAtLeast(limit: number): boolean {
    if (this.open.length + this.restored.length + 1 < limit) return false
    return this.completedBeyond().length >= limit
  }

  /**
   * The offset to commit, with the completed-beyond ranges in its metadata, if it differs from what the
   * coordinator holds: the committable offset, or the first message handed out while messages after it are
   * done (so their completion survives a crash even before anything is contiguous).
   */
  uncommitted(): TopicPartitionOffset | undefined {
    const committable = this.committableOffset
    const base = committable?.offset ?? this.firstBegun
    if (base === undefined) return undefined
    if (this.committedOffset !== undefined && base < this.committedOffset) return undefined
    const metadata = encodeCompletedOffsets(base, this.completedBeyond())
    if (committable === undefined && metadata === null) return undefined
    if (base === this.committedOffset && metadata === this.committedMetadata) return undefined
    const next: TopicPartitionOffset =
      committable !== undefined
        ? { ...committable }
        : { topic: this.topic, partition: this.partition, offset: base }
    if (metadata !== null) next.metadata = metadata
    return next
  }

  /** Whether the coordinator holds `offset` as consumed: below the committed offset, or listed in its metadata. */
  isCommitted(offset: bigint): boolean {
    if (this.committedOffset === undefined) return false
    if (offset < this.committedOffset) return true
    return this.committedRanges.some((r) => offset >= r.first && offset <= r.last)
  }

  /** `offset`, with `metadata`, reached the coordinator. */
  committed(offset: bigint, metadata: string | null = null): void {
    if (this.committedOffset !== undefined && offset < this.committedOffset) return
    this.committedOffset = offset
    this.committedMetadata = metadata
    this.committedRanges = decodeCompletedOffsets(offset, metadata)
    this.restored = this.restored.filter((r) => r.last >= offset)
  }

  private noteMarked(message: MarkedMessage): void {
    if (this.highestMarked === undefined || message.offset > this.highestMarked.offset) {
      this.highestMarked = { offset: message.offset, leaderEpoch: message.leaderEpoch }
    }
  }

  private advance(): boolean {
    const highest = this.highestMarked
    if (highest === undefined || this.firstBegun === undefined) return false
    const lowestOpen = this.open[0]
    let candidate = lowestOpen === undefined ? highest.offset + 1n : lowestOpen
    // Nothing before the first open message was marked: there is no progress to commit yet.
    if (candidate <= this.firstBegun) return false
    // A range a previous owner completed, starting right here and with nothing open in it, is done too.
    for (;;) {
      const from = candidate
      const range = this.restored.find((r) => r.first === from)
      if (range === undefined || (lowestOpen !== undefined && lowestOpen <= range.last)) break
      candidate = range.last + 1n
    }
    if (this.committableOffset !== undefined && candidate <= this.committableOffset.offset) return false
    const next: TopicPartitionOffset = { topic: this.topic, partition: this.partition, offset: candidate }
    // The epoch is known for the usual case, the record just before the committable offset.
    if (candidate === highest.offset + 1n && highest.leaderEpoch >= 0) next.leaderEpoch = highest.leaderEpoch
    this.committableOffset = next
    return true
  }
}
