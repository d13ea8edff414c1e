/**
 * Everything the consumer knows about the offsets of one assigned partition, in one record, and the table of
 * those records. This is the file that answers "where is a partition's committed offset decided?":
 *
 *   fetch position ─▶ handed out (the position) ─▶ finished ─▶ stored ─▶ commit in flight ─▶ confirmed
 *
 * - the **fetch position** is where the next Fetch starts; it runs ahead of the position by what is buffered;
 * - the **position** is the next offset to hand to the application; everything before it was handed out
 *   (or skipped: transaction markers, aborted or compacted records);
 * - **finished** is the offset after the last record the application finished with (see group-offsets.ts for
 *   when a record counts as finished);
 * - **stored** is what auto-commit (and the commit on revoke or close) sends: the finished offset with the
 *   automatic offset store, or what the application stored explicitly;
 * - the **commit floor** is the newest offset sent or queued in a commit: an asynchronous commit below it
 *   would rewind a newer one and is left out;
 * - **confirmed** is the offset the coordinator last confirmed from this consumer, with its leader epoch.
 *
 * The fields are private and change only through the intent methods below. The invariants the README
 * promises are checked here, and nowhere else:
 * - nothing is stored on the consumer's own account (the automatic store) beyond what was handed out, so
 *   auto-commit never commits past what was finished; only the application can give an offset explicitly;
 * - an asynchronous commit never rewinds a newer one ({@link PartitionOffsets.commitStarted});
 * - nothing survives for a partition that left the assignment: {@link PartitionOffsetsTable.revoke} is the one
 *   place a partition is forgotten, and the record it drops ignores every later write (a commit settling
 *   after the revocation does not bring its offsets back).
 *
 * The completed-beyond-gap offsets `run()` tracks while it works live with the runner's marks
 * (processing/partition-marks.ts): a run's work on a partition can end and start again while the partition
 * stays assigned (an eager rebalance hands it straight back), so those marks have a lifetime of their own.
 * What of them reached the coordinator is here: {@link PartitionOffsets.confirmedCompleted}.
 */

import { IllegalStateError } from '../../common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../../common/types.ts'
import { topicPartitionKey } from '../../common/types.ts'
import { type CompletedRange, decodeCompletedOffsets } from './completed-offsets-metadata.ts'

/** A position in a partition: the next offset to read, and the leader epoch of the record before it if known. */
export interface FetchPosition {
  offset: bigint
  leaderEpoch: number | undefined
}

export type CommitMode = 'sync' | 'async'

/** The offsets of one assigned partition. Created and forgotten by {@link PartitionOffsetsTable}. */
export class PartitionOffsets implements TopicPartition {
  readonly topic: string
  readonly partition: number
  /** `topic:partition`, the key of every per-partition map. */
  readonly key: string

  #fetchOffset: bigint | undefined = undefined
  #fetchEpoch: number | undefined = undefined
  #position: bigint | undefined = undefined
  #positionEpoch: number | undefined = undefined
  /** One past the highest offset handed out since assignment: the bound of what may be finished. */
  #handedOutEnd: bigint | undefined = undefined
  #finished: bigint | undefined = undefined
  #stored: bigint | undefined = undefined
  #storedEpoch: number | undefined = undefined
  #storedMetadata: string | undefined = undefined
  /** The stored offset was given by the application (storeOffsets), not finished on its behalf. */
  #storedExplicitly = false
  /** The offset last handed to a commit, so an unchanged stored offset is not committed again. */
  #sent: bigint | undefined = undefined
  /** The newest offset sent or queued: the floor of asynchronous commits. */
  #floor: bigint | undefined = undefined
  /** Set while a failed commit request may have changed the committed offset behind {@link confirmed}. */
  #confirmedInDoubt = false
  #confirmed: bigint | undefined = undefined
  #confirmedEpoch: number | undefined = undefined
  /** The metadata of the confirmed commit: with run(), the offsets completed beyond it. */
  #confirmedMetadata: string | undefined = undefined
  /** The group's committed offset was looked up (or is being looked up) since the partition was assigned. */
  #committedLookedUp = false
  #revoked = false

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
    this.key = topicPartitionKey(topic, partition)
  }

  // -- reading ------------------------------------------------------------------------------------------------

  /** Next offset to hand to the application; undefined until a reset or seek gives one. */
  get positionOffset(): bigint | undefined {
    return this.#position
  }

  /** Leader epoch of the record before the position, if known. */
  get positionEpoch(): number | undefined {
    return this.#positionEpoch
  }

  /** The position with its epoch, as a new object (not for per-record paths). */
  get position(): FetchPosition | undefined {
    const offset = this.#position
    return offset === undefined ? undefined : { offset, leaderEpoch: this.#positionEpoch }
  }

  /** Next offset to ask the broker for; runs ahead of the position by what is buffered or in flight. */
  get fetchOffset(): bigint | undefined {
    return this.#fetchOffset
  }

  /**
   * Leader epoch of the last fetched batch, the one ending right before the fetch offset: sent as the Fetch's
   * `lastFetchedEpoch` (KIP-320), so the leader can tell whether its log still agrees with what was fetched.
   */
  get fetchEpoch(): number | undefined {
    return this.#fetchEpoch
  }

  /** The offset after the last record the application finished with, if any. */
  get finished(): bigint | undefined {
    return this.#finished
  }

  /** The offset the coordinator last confirmed from this consumer, if any. */
  get confirmed(): bigint | undefined {
    return this.#confirmed
  }

  /** The leader epoch committed with {@link confirmed}, if one was. */
  get confirmedEpoch(): number | undefined {
    return this.#confirmedEpoch
  }

  /**
   * Whether the coordinator already holds exactly this commit from this consumer: the same offset, leader
   * epoch and metadata as the last one it confirmed, and no other commit of the partition sent or queued
   * since (which could still change what it holds).
   */
  holds(offset: bigint, leaderEpoch: number | undefined, metadata: string | undefined): boolean {
    return (
      !this.#revoked &&
      !this.#confirmedInDoubt &&
      this.#confirmed === offset &&
      this.#floor === offset &&
      (this.#confirmedEpoch ?? -1) === (leaderEpoch ?? -1) &&
      (this.#confirmedMetadata ?? '') === (metadata ?? '')
    )
  }

  /**
   * The offsets the confirmed commit lists as completed beyond it (run()'s out-of-order completions, carried
   * in the commit metadata); empty when it lists none.
   */
  confirmedCompleted(): CompletedRange[] {
    if (this.#confirmed === undefined) return []
    return decodeCompletedOffsets(this.#confirmed, this.#confirmedMetadata)
  }

  /** The newest offset sent or queued in a commit, if any (asynchronous commits never go below it). */
  get commitFloor(): bigint | undefined {
    return this.#floor
  }

  /** The partition left the assignment: this record is dead and ignores writes. */
  get revoked(): boolean {
    return this.#revoked
  }

  /** The stored offset as a commit would send it, if one is stored. */
  get stored(): TopicPartitionOffset | undefined {
    const offset = this.#stored
    if (offset === undefined) return undefined
    const entry: TopicPartitionOffset = { topic: this.topic, partition: this.partition, offset }
    if (this.#storedEpoch !== undefined) entry.leaderEpoch = this.#storedEpoch
    if (this.#storedMetadata !== undefined) entry.metadata = this.#storedMetadata
    return entry
  }

  /**
   * The stored offset, when it differs from what was last handed to a commit (what auto-commit sends).
   * Asserts, as it is handed out to a commit, that an offset stored on the application's behalf does not
   * pass what was handed out: auto-commit never commits beyond what was finished.
   */
  get pendingStore(): TopicPartitionOffset | undefined {
    const stored = this.#stored
    if (stored === undefined || stored === this.#sent) return undefined
    if (!this.#storedExplicitly && (this.#handedOutEnd === undefined || stored > this.#handedOutEnd)) {
      throw new IllegalStateError(
        `internal error: ${this.topic}-${this.partition} would auto-commit ${stored}, beyond the records handed ` +
          `out (up to ${this.#handedOutEnd ?? 'none'}); nothing was committed`,
        { topic: this.topic, partition: this.partition },
      )
    }
    return this.stored
  }

  /** Whether the start position should still come from the group's committed offset. */
  get needsCommittedLookup(): boolean {
    return !this.#committedLookedUp
  }

  // -- the fetch position and the position ---------------------------------------------------------------------

  /** Moves both positions to `position` (a seek, a reset answered, a committed offset, a truncation). */
  seek(position: FetchPosition): void {
    this.#position = position.offset
    this.#positionEpoch = position.leaderEpoch
    this.#fetchOffset = position.offset
    this.#fetchEpoch = position.leaderEpoch
  }

  /** Forgets both positions: the next one comes from an offset lookup. */
  reset(): void {
    this.#position = undefined
    this.#positionEpoch = undefined
    this.#fetchOffset = undefined
    this.#fetchEpoch = undefined
  }

  /** Fetching starts again at the position: whatever was fetched beyond it is abandoned. */
  refetch(): void {
    this.#fetchOffset = this.#position
    this.#fetchEpoch = this.#positionEpoch
  }

  /** A fetch returned data up to `nextOffset` (its last batch had `leaderEpoch`): the next fetch starts there. */
  fetched(nextOffset: bigint, leaderEpoch: number | undefined): void {
    this.#fetchOffset = nextOffset
    this.#fetchEpoch = leaderEpoch
  }

  /** The record at `offset` (leader epoch `leaderEpoch`, -1 if unknown) was handed to the application. */
  handOut(offset: bigint, leaderEpoch: number): void {
    const next = offset + 1n
    this.#position = next
    if (leaderEpoch >= 0) this.#positionEpoch = leaderEpoch
    if (this.#handedOutEnd === undefined || next > this.#handedOutEnd) this.#handedOutEnd = next
  }

  /**
   * A drained fetch ends at `nextOffset`: the position skips offsets that carried nothing to deliver
   * (transaction markers, aborted or compacted records). Never moves the position back.
   */
  skipTo(nextOffset: bigint, leaderEpoch: number | undefined): void {
    if (this.#position !== undefined && nextOffset <= this.#position) return
    this.#position = nextOffset
    if (leaderEpoch !== undefined) this.#positionEpoch = leaderEpoch
  }

  // -- finishing and storing ---------------------------------------------------------------------------------

  /**
   * The application finished with the record before `nextOffset`. Returns false, recording nothing, when that
   * record was not handed out from this assignment of the partition (it came before a revocation).
   */
  finish(nextOffset: bigint, leaderEpoch: number): boolean {
    if (this.#revoked || this.#handedOutEnd === undefined || nextOffset > this.#handedOutEnd) return false
    this.#finished = nextOffset
    // The automatic store keeps the finished offset; its epoch is that of the finished record.
    this.#stored = nextOffset
    this.#storedEpoch = leaderEpoch >= 0 ? leaderEpoch : undefined
    this.#storedMetadata = undefined
    this.#storedExplicitly = false
    return true
  }

  /** The application stores `offset` explicitly (storeOffsets), replacing what was stored. */
  store(offset: TopicPartitionOffset): void {
    if (this.#revoked) return
    this.#stored = offset.offset
    this.#storedEpoch = offset.leaderEpoch
    this.#storedMetadata = offset.metadata
    this.#storedExplicitly = true
  }

  // -- commits ------------------------------------------------------------------------------------------------

  /**
   * `offset` is handed to a commit. Returns false when an `async` commit of it would rewind a newer one (the
   * commit leaves the partition out); a `sync` commit may rewind on purpose, and always goes out.
   */
  commitStarted(offset: bigint, mode: CommitMode): boolean {
    if (this.#revoked) return true
    this.#sent = offset
    if (mode === 'async' && this.#floor !== undefined && offset < this.#floor) return false
    this.#floor = offset
    return true
  }

  /**
   * A commit request including this partition failed without an answer for it (timed out, connection lost):
   * the coordinator may or may not have written it, so {@link confirmed} no longer says what it holds until
   * the next confirmed commit.
   */
  commitOutcomeUnknown(): void {
    this.#confirmedInDoubt = true
  }

  /** A commit of `offset` failed as a whole: a stored offset equal to it is sent again by the next commit. */
  commitFailed(offset: bigint): void {
    if (this.#sent === offset) this.#sent = undefined
  }

  /**
   * The coordinator refused this partition's offset: nothing sent for it reached the log, so the floor goes
   * back to the confirmed offset (an asynchronous commit of a lower offset than the refused one may go out).
   */
  commitRefused(): void {
    this.#floor = this.#confirmed
  }

  /** The coordinator confirmed `offset` (with `leaderEpoch` and `metadata`) for this partition. */
  commitConfirmed(offset: bigint, leaderEpoch: number | undefined, metadata?: string): void {
    if (this.#revoked) return
    this.#confirmedInDoubt = false
    this.#confirmed = offset
    this.#confirmedEpoch = leaderEpoch
    this.#confirmedMetadata = metadata
  }

  // -- the start position --------------------------------------------------------------------------------------

  /** The group's committed offset is being looked up for the start position. */
  committedLookupStarted(): void {
    this.#committedLookedUp = true
  }

  /** The lookup failed; the next update of positions tries again. */
  committedLookupFailed(): void {
    this.#committedLookedUp = false
  }

  // -- invariants ---------------------------------------------------------------------------------------------

  /**
   * Throws if the record is in a state the rules above forbid. Cheap, but not on a per-record path: the
   * property tests call it after every operation, commits before they are sent.
   */
  checkInvariants(): void {
    const fail = (what: string): never => {
      throw new Error(`offsets of ${this.topic}-${this.partition}: ${what}`)
    }
    if (
      this.#revoked &&
      (this.#stored !== undefined || this.#floor !== undefined || this.#confirmed !== undefined)
    ) {
      fail('a revoked partition kept offsets')
    }
    if (!this.#storedExplicitly && this.#stored !== undefined) {
      if (this.#handedOutEnd === undefined || this.#stored > this.#handedOutEnd) {
        fail(`stored ${this.#stored} on its own account beyond what was handed out (${this.#handedOutEnd})`)
      }
    }
    if (
      this.#finished !== undefined &&
      (this.#handedOutEnd === undefined || this.#finished > this.#handedOutEnd)
    ) {
      fail(`finished ${this.#finished} beyond what was handed out (${this.#handedOutEnd})`)
    }
  }

  /** Drops everything; only {@link PartitionOffsetsTable.revoke} calls it. */
  end(): void {
    this.#revoked = true
    this.#stored = undefined
    this.#storedEpoch = undefined
    this.#storedMetadata = undefined
    this.#sent = undefined
    this.#floor = undefined
    this.#confirmed = undefined
    this.#confirmedEpoch = undefined
    this.#confirmedMetadata = undefined
    this.#finished = undefined
  }
}

/** The offsets records of every assigned partition: the one place a partition is forgotten. */
export class PartitionOffsetsTable {
  readonly #records = new Map<string, PartitionOffsets>()

  /** The record of `tp`, created if the partition was not assigned. */
  open(topic: string, partition: number): PartitionOffsets {
    const key = topicPartitionKey(topic, partition)
    let record = this.#records.get(key)
    if (record === undefined) {
      record = new PartitionOffsets(topic, partition)
      this.#records.set(key, record)
    }
    return record
  }

  get(topic: string, partition: number): PartitionOffsets | undefined {
    return this.#records.get(topicPartitionKey(topic, partition))
  }

  getByKey(key: string): PartitionOffsets | undefined {
    return this.#records.get(key)
  }

  /**
   * `tp` left the assignment (revoked, or lost with the membership): everything about it is dropped, and the
   * record whoever still holds it ignores later writes. A partition assigned again starts a new record.
   */
  revoke(tp: TopicPartition): void {
    const key = topicPartitionKey(tp.topic, tp.partition)
    const record = this.#records.get(key)
    if (record === undefined) return
    this.#records.delete(key)
    record.end()
  }

  /** The records, in the order their partitions were assigned. */
  values(): IterableIterator<PartitionOffsets> {
    return this.#records.values()
  }

  get size(): number {
    return this.#records.size
  }

  /**
   * The stored offsets not yet handed to a commit (what auto-commit sends), of the partitions `include`
   * accepts (all when omitted). Only assigned partitions have records, so nothing of a revoked one is in it.
   */
  pendingStores(include?: (record: PartitionOffsets) => boolean): TopicPartitionOffset[] {
    const result: TopicPartitionOffset[] = []
    for (const record of this.#records.values()) {
      const pending = record.pendingStore
      if (pending !== undefined && (include === undefined || include(record))) result.push(pending)
    }
    return result
  }
}
