/**
 * Where a partition's fetch position comes from when it has none, or one that must be checked first:
 *
 * - a newly assigned partition of a group starts at the group's committed offset (when nothing is committed,
 *   per `autoOffsetReset`);
 * - a seekToBeginning / seekToEnd / offsetsForTimes-style reset, or `autoOffsetReset`, is looked up with
 *   ListOffsets; `autoOffsetReset: 'none'` reports NoOffsetForPartitionError instead (again on a later read
 *   unless the application seeks meanwhile);
 * - a position that carries a leader epoch is validated against the leader first (KIP-320).
 *
 * {@link PositionResolver.update} starts what is due in the background and never waits; completions call
 * `onProgress` so fetching resumes and the reader wakes. {@link PositionResolver.resolveNow} resolves pending
 * lookups with retries, for `positionAsync()`. The results are written through SubscriptionState's intent
 * methods (`completeReset`, `completeValidation`), which ignore answers for a generation that has passed.
 */

import { KafkaError } from '../common/errors.ts'
import type { FetchCluster } from './consumer-cluster.ts'
import type { AutoOffsetReset, IsolationLevel } from './consumer-options.ts'
import { NoOffsetForPartitionError } from './no-offset-error.ts'
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  lookupOffsets,
  lookupOffsetsOnce,
  type OffsetQuery,
} from './offsets-lookup.ts'
import type { PartitionState, SubscriptionState } from './subscription-state.ts'

/**
 * Checks each position before fetching from it (KIP-320: was the log truncated below it after a leader
 * change?). Without one, positions are used as they are.
 */
export type PositionValidator = (
  partitions: PartitionState[],
  subscriptions: SubscriptionState,
) => Promise<void>

/** The group's committed offsets as a starting position (offsets/group-offsets.ts). */
export interface CommittedPositions {
  /** True when `state` should start at the group's committed offset (a group, no explicit reset, not read yet). */
  wantsCommittedOffset(state: PartitionState): boolean
  /** Positions `states` at their committed offsets (per autoOffsetReset where none is committed). */
  positionFromCommitted(states: readonly PartitionState[]): Promise<void>
}

export interface PositionResolverInit {
  cluster: FetchCluster
  subscriptions: SubscriptionState
  committed: CommittedPositions
  validator?: PositionValidator | undefined
  options: { autoOffsetReset: AutoOffsetReset; isolationLevel: IsolationLevel; retryBackoffMs: number }
  /** Hands an error to the application (the next read throws it). */
  report(error: KafkaError): void
  /** True while an error of that partition waits to be thrown (so 'none' is not reported twice). */
  hasPendingError(key: string): boolean
  /** A lookup or validation finished: fetch and wake the reader. */
  onProgress(): void
}

export class PositionResolver {
  private readonly init: PositionResolverInit
  /** Partitions with a lookup running; not started again until it ends. */
  private readonly resetsInFlight = new Set<string>()
  private validating = false

  constructor(init: PositionResolverInit) {
    this.init = init
  }

  /** Starts the offset lookups and validations that are due. Never waits; completions call `onProgress`. */
  update(): void {
    const { subscriptions, committed, options } = this.init
    if (!this.validating) {
      const awaiting = subscriptions.partitionsAwaitingValidation()
      if (awaiting.length > 0) this.validate(awaiting)
    }
    const due = subscriptions
      .partitionsAwaitingReset(performance.now())
      .filter((state) => !this.resetsInFlight.has(state.key))
    if (due.length === 0) return
    const lookups: PartitionState[] = []
    const fromCommitted: PartitionState[] = []
    for (const state of due) {
      if (committed.wantsCommittedOffset(state)) fromCommitted.push(state)
      else if ((state.resetTarget ?? options.autoOffsetReset) === 'none') {
        if (!this.init.hasPendingError(state.key)) this.init.report(new NoOffsetForPartitionError(state))
        // Report it again on a later read unless the application seeks meanwhile.
        state.retryAt = performance.now() + options.retryBackoffMs
      } else lookups.push(state)
    }
    if (lookups.length > 0) void this.resetInBackground(lookups)
    if (fromCommitted.length > 0) void this.positionFromCommitted(fromCommitted)
  }

  /** Resolves pending lookups of `states` now, with retries, for `positionAsync()`. */
  async resolveNow(states: PartitionState[], timeoutMs?: number): Promise<void> {
    const { cluster, subscriptions, committed, options } = this.init
    const fromCommitted = states.filter(
      (s) => s.state === 'awaiting-reset' && committed.wantsCommittedOffset(s),
    )
    if (fromCommitted.length > 0) await committed.positionFromCommitted(fromCommitted)
    const lookups = states.filter((s) => s.state === 'awaiting-reset')
    for (const state of lookups) {
      if ((state.resetTarget ?? options.autoOffsetReset) === 'none')
        throw new NoOffsetForPartitionError(state)
    }
    const generations = lookups.map((state) => state.generation)
    const answers = await lookupOffsets(
      cluster,
      lookups.map((state) => toResetQuery(state, this.automaticResetTarget())),
      {
        isolationLevel: options.isolationLevel,
        timeoutMs: timeoutMs ?? cluster.options.requestTimeoutMs,
        retryBackoffMs: options.retryBackoffMs,
      },
    )
    lookups.forEach((state, i) => {
      const answer = answers.get(state.key)
      if (answer === undefined || answer.offset < 0n) return
      const leaderEpoch = answer.leaderEpoch >= 0 ? answer.leaderEpoch : undefined
      subscriptions.completeReset(state, generations[i] as number, { offset: answer.offset, leaderEpoch })
    })
  }

  /** Starts newly assigned partitions of a group at its committed offsets (autoOffsetReset where none). */
  private async positionFromCommitted(states: PartitionState[]): Promise<void> {
    for (const state of states) this.resetsInFlight.add(state.key)
    try {
      await this.init.committed.positionFromCommitted(states)
    } catch (error) {
      if (error instanceof KafkaError && !error.retriable) this.init.report(error)
    } finally {
      for (const state of states) this.resetsInFlight.delete(state.key)
      this.init.onProgress()
    }
  }

  /** autoOffsetReset as a lookup target; only called for partitions that passed the `none` check. */
  private automaticResetTarget(): 'earliest' | 'latest' {
    return this.init.options.autoOffsetReset === 'earliest' ? 'earliest' : 'latest'
  }

  private validate(states: PartitionState[]): void {
    const { validator, subscriptions } = this.init
    if (validator === undefined) {
      for (const state of states) subscriptions.completeValidation(state, state.generation)
      return
    }
    this.validating = true
    validator(states, subscriptions)
      .catch((error: unknown) => {
        if (error instanceof KafkaError) this.init.report(error)
      })
      .finally(() => {
        this.validating = false
        this.init.onProgress()
      })
  }

  private async resetInBackground(states: PartitionState[]): Promise<void> {
    const { cluster, subscriptions, options } = this.init
    for (const state of states) this.resetsInFlight.add(state.key)
    const generations = states.map((state) => state.generation)
    try {
      const round = await lookupOffsetsOnce(
        cluster,
        states.map((state) => toResetQuery(state, this.automaticResetTarget())),
        { isolationLevel: options.isolationLevel },
      )
      let retryNeeded = false
      states.forEach((state, i) => {
        const answer = round.answers.get(state.key)
        if (answer !== undefined && answer.offset >= 0n) {
          const leaderEpoch = answer.leaderEpoch >= 0 ? answer.leaderEpoch : undefined
          subscriptions.completeReset(state, generations[i] as number, { offset: answer.offset, leaderEpoch })
          return
        }
        state.retryAt = performance.now() + options.retryBackoffMs
        const failure = round.failures.get(state.key)
        if (failure !== undefined && !failure.retriable) this.init.report(failure)
        else retryNeeded = true
      })
      if (retryNeeded) {
        const topics = [...new Set(states.map((s) => s.topic))]
        await cluster.refreshMetadata(topics).catch(() => {})
      }
    } finally {
      for (const state of states) this.resetsInFlight.delete(state.key)
      this.init.onProgress()
    }
  }
}

/** The lookup for a pending reset: its explicit target, else autoOffsetReset (`none` is handled before). */
export function toResetQuery(state: PartitionState, autoOffsetReset: 'earliest' | 'latest'): OffsetQuery {
  const target = state.resetTarget ?? autoOffsetReset
  const timestamp =
    target === 'earliest'
      ? EARLIEST_TIMESTAMP
      : target === 'latest'
        ? LATEST_TIMESTAMP
        : BigInt(target.timestamp)
  return { topic: state.topic, partition: state.partition, timestamp }
}
