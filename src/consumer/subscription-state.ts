/**
 * What the consumer knows about each assigned partition: where the application is (the position), where the
 * fetcher is (the next offset to fetch, which runs ahead of the position), and whether the partition may be
 * fetched at all.
 *
 * Each partition moves through a small state machine:
 *
 *   awaiting-reset ──(offset lookup)──▶ fetching ◀──(validated)── awaiting-validation
 *         ▲                                │                              ▲
 *         └──── out of range / seekTo… ────┘      seek with a leader epoch ┘
 *
 * `paused` is a flag beside the state rather than a state of its own: a paused partition keeps its pending
 * reset or validation, and resuming it must not forget where it was. `held` is another such flag, owned by the
 * group: it keeps a partition still while a rebalance listener has it.
 *
 * The position moves only when records are handed to the application, never when they are merely fetched, so
 * {@link SubscriptionState.allConsumed} is always safe to commit.
 */

import { IllegalStateError } from '../common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { AutoOffsetReset } from './consumer-options.ts'
import {
  type FetchPosition,
  type PartitionOffsets,
  PartitionOffsetsTable,
} from './offsets/partition-offsets.ts'

export type { FetchPosition } from './offsets/partition-offsets.ts'

export type FetchState = 'awaiting-reset' | 'awaiting-validation' | 'fetching'

/** Where a pending reset should go: log start, log end, or the first offset at or after a timestamp. */
export type ResetTarget = 'earliest' | 'latest' | { timestamp: number }

/**
 * The fetch state of one assigned partition. Owned by {@link SubscriptionState}; other modules read it. Its
 * offsets (position, fetch position, what is stored and committed) are in {@link PartitionState.offsets}.
 */
export class PartitionState implements TopicPartition {
  readonly topic: string
  readonly partition: number
  /** `topic:partition`, the key of every per-partition map. */
  readonly key: string
  /** The partition's offsets record (offsets/partition-offsets.ts), for as long as it is assigned. */
  readonly offsets: PartitionOffsets
  state: FetchState = 'awaiting-reset'
  /** Target of the pending reset when `state` is `awaiting-reset`; undefined means "use autoOffsetReset". */
  resetTarget: ResetTarget | undefined = undefined
  paused = false
  /**
   * A rebalance listener has the partition: it is newly assigned and onPartitionsAssigned has not resolved, or
   * its revocation has started. A held partition is neither reset, validated, fetched nor delivered, so the
   * listener sees a position nothing else moves, and the position it seeks to is where fetching starts.
   */
  held = false
  /** A fetch including this partition is in flight; a second one would race it. */
  fetchInFlight = false
  /**
   * Bumped whenever the position jumps (seek, reset, reassignment), so data fetched for the old position,
   * buffered or still in flight, is recognised and dropped.
   */
  generation = 0
  /** Earliest `performance.now()` at which the next offset lookup or fetch of this partition may run. */
  retryAt = 0
  highWatermark: bigint | undefined = undefined
  lastStableOffset: bigint | undefined = undefined
  logStartOffset: bigint | undefined = undefined

  constructor(offsets: PartitionOffsets) {
    this.topic = offsets.topic
    this.partition = offsets.partition
    this.key = offsets.key
    this.offsets = offsets
  }

  /** Next offset to hand to the application, with its epoch; undefined until a reset or seek gives one. */
  get position(): FetchPosition | undefined {
    return this.offsets.position
  }

  /** Next offset to ask the broker for; runs ahead of the position by what is buffered or in flight. */
  get fetchOffset(): bigint | undefined {
    return this.offsets.fetchOffset
  }

  /** Leader epoch of the last fetched batch (see {@link PartitionOffsets.fetchEpoch}). */
  get fetchEpoch(): number | undefined {
    return this.offsets.fetchEpoch
  }

  /** Whether the fetcher may ask for this partition's data now. */
  get isFetchable(): boolean {
    return this.state === 'fetching' && !this.paused && !this.held
  }

  /** Moves to `position` and discards everything fetched for the old one. */
  moveTo(position: FetchPosition, state: FetchState): void {
    this.offsets.seek(position)
    this.state = state
    this.resetTarget = undefined
    this.generation++
    this.retryAt = 0
  }
}

function describePartition(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`
}

/** The assignment and per-partition positions of one consumer. */
export class SubscriptionState {
  private readonly partitions = new Map<string, PartitionState>()
  private readonly defaultReset: AutoOffsetReset
  /** The offsets of the assigned partitions; a partition's record lives exactly as long as its state here. */
  readonly offsets: PartitionOffsetsTable

  constructor(defaultReset: AutoOffsetReset, offsets: PartitionOffsetsTable = new PartitionOffsetsTable()) {
    this.defaultReset = defaultReset
    this.offsets = offsets
  }

  /** The reset strategy used when a partition has no position and none was requested explicitly. */
  get autoOffsetReset(): AutoOffsetReset {
    return this.defaultReset
  }

  /**
   * Replaces the assignment. Partitions that stay assigned keep their position and pause flag; new ones start
   * awaiting a reset. Returns the partitions that were dropped, so their buffered data can be discarded; their
   * offsets records are revoked (nothing of them survives).
   */
  assign(partitions: readonly TopicPartition[]): PartitionState[] {
    const next = new Map<string, PartitionState>()
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      next.set(key, this.partitions.get(key) ?? new PartitionState(this.offsets.open(tp.topic, tp.partition)))
    }
    const removed: PartitionState[] = []
    for (const [key, state] of this.partitions) {
      if (!next.has(key)) {
        state.generation++
        this.offsets.revoke(state)
        removed.push(state)
      }
    }
    this.partitions.clear()
    for (const [key, state] of next) this.partitions.set(key, state)
    return removed
  }

  /** The assigned partitions, in assignment order. */
  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map(({ topic, partition }) => ({ topic, partition }))
  }

  /** All partition states, in assignment order. */
  states(): IterableIterator<PartitionState> {
    return this.partitions.values()
  }

  get size(): number {
    return this.partitions.size
  }

  /** The state of `tp`, or undefined if it is not assigned. */
  get(topic: string, partition: number): PartitionState | undefined {
    return this.partitions.get(topicPartitionKey(topic, partition))
  }

  getByKey(key: string): PartitionState | undefined {
    return this.partitions.get(key)
  }

  /** The state of `tp`; throws IllegalStateError naming the partition and `operation` if it is not assigned. */
  require(tp: TopicPartition, operation: string): PartitionState {
    const state = this.partitions.get(topicPartitionKey(tp.topic, tp.partition))
    if (state === undefined) {
      throw new IllegalStateError(
        `${operation}: partition ${describePartition(tp)} is not assigned to this consumer`,
        {
          topic: tp.topic,
          partition: tp.partition,
        },
      )
    }
    return state
  }

  /**
   * Sets the next offset to deliver. With `validate`, the position's leader epoch is checked against the
   * leader's log first (the offset may come from a commit made before a leader change truncated the log).
   */
  seek(tp: TopicPartition, position: FetchPosition, options: { validate?: boolean } = {}): void {
    const state = this.require(tp, 'seek')
    const validate = options.validate === true && position.leaderEpoch !== undefined
    state.moveTo(position, validate ? 'awaiting-validation' : 'fetching')
  }

  /** Asks for the position of `tp` to be looked up again, at `target` or per autoOffsetReset if omitted. */
  requestReset(state: PartitionState, target?: ResetTarget): void {
    state.state = 'awaiting-reset'
    state.resetTarget = target
    state.offsets.reset()
    state.generation++
    state.retryAt = 0
  }

  /** Asks for the position of `state` to be validated against the current leader epoch before fetching. */
  requestValidation(state: PartitionState): void {
    if (state.offsets.positionOffset === undefined) return
    state.state = 'awaiting-validation'
    state.offsets.refetch()
    state.generation++
  }

  /**
   * Holds `state` for a rebalance listener (see {@link PartitionState.held}). Data fetched past the position,
   * buffered or in flight, becomes stale: the caller drops what is buffered, and whatever the listener does
   * with the position, nothing fetched before it is delivered.
   */
  hold(state: PartitionState): void {
    state.held = true
    if (state.offsets.positionOffset === undefined) return
    state.offsets.refetch()
    state.generation++
  }

  /** Ends a {@link hold}: pending resets and validations run, and the partition is fetched again. */
  release(state: PartitionState): void {
    state.held = false
  }

  /** Partitions whose reset target is known and whose retry time has come (held ones wait for release). */
  partitionsAwaitingReset(now: number): PartitionState[] {
    const due: PartitionState[] = []
    for (const state of this.partitions.values()) {
      if (state.state === 'awaiting-reset' && !state.held && state.retryAt <= now) due.push(state)
    }
    return due
  }

  /** Partitions waiting for their position to be validated (held ones wait for release). */
  partitionsAwaitingValidation(): PartitionState[] {
    return [...this.partitions.values()].filter((s) => s.state === 'awaiting-validation' && !s.held)
  }

  /**
   * Applies a looked-up offset, unless the partition changed while the lookup was in flight (a seek, a new
   * reset request or reassignment bumps `generation`, and the newer intent wins).
   */
  completeReset(state: PartitionState, generation: number, position: FetchPosition): boolean {
    if (this.partitions.get(state.key) !== state || state.generation !== generation) return false
    if (state.state !== 'awaiting-reset') return false
    state.moveTo(position, 'fetching')
    return true
  }

  /** Marks a position as validated (or replaced by `position`, e.g. after truncation), enabling fetches. */
  completeValidation(state: PartitionState, generation: number, position?: FetchPosition): boolean {
    if (this.partitions.get(state.key) !== state || state.generation !== generation) return false
    if (state.state !== 'awaiting-validation') return false
    if (position !== undefined) state.moveTo(position, 'fetching')
    else state.state = 'fetching'
    return true
  }

  pause(tp: TopicPartition): void {
    this.require(tp, 'pause').paused = true
  }

  resume(tp: TopicPartition): void {
    this.require(tp, 'resume').paused = false
  }

  paused(): TopicPartition[] {
    const result: TopicPartition[] = []
    for (const { topic, partition, paused } of this.partitions.values()) {
      if (paused) result.push({ topic, partition })
    }
    return result
  }

  /**
   * The offsets a commit would store now: for every partition with a known position, the next offset to read
   * after the records already delivered, with the leader epoch of the last delivered record when known.
   * Keyed by `topic:partition` ({@link topicPartitionKey}).
   */
  allConsumed(): Map<string, TopicPartitionOffset> {
    const consumed = new Map<string, TopicPartitionOffset>()
    for (const state of this.partitions.values()) {
      const offset = state.offsets.positionOffset
      if (offset === undefined || state.state === 'awaiting-reset') continue
      const entry: TopicPartitionOffset = { topic: state.topic, partition: state.partition, offset }
      const leaderEpoch = state.offsets.positionEpoch
      if (leaderEpoch !== undefined) entry.leaderEpoch = leaderEpoch
      consumed.set(state.key, entry)
    }
    return consumed
  }
}
