/**
 * The consumer: reads records from partitions the application assigns (this module) or a group assigns
 * (src/consumer/group/). Three ways to read, all with the same guarantee — records of a partition arrive in
 * offset order, and a partition's position moves past a record only once the record is handed over:
 *
 * - `poll({ timeoutMs })`: up to `maxPollRecords` records, the Java client's loop style;
 * - `for await (const message of consumer)`: one record at a time; `break` stops iterating, it does not close;
 * - `consume(handler, { signal })`: calls `handler` for each record until the signal aborts or the consumer closes.
 *
 * Fetching runs ahead of the application in the background (see {@link Fetcher}); offset lookups for new
 * or reset partitions run in the background too, and everything that may make progress wakes the reader.
 */

import {
  ClosedError,
  ConfigError,
  IllegalStateError,
  type KafkaError,
  WakeupError,
} from '../common/errors.ts'
import { TurnBudget } from '../common/turn-budget.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import {
  validateOffset,
  validatePartition,
  validateTopicName,
  validateTopicPartitions,
} from '../common/validate.ts'
import type { CompletedFetch } from './completed-fetch.ts'
import type { ConsumerCluster } from './consumer-cluster.ts'
import {
  type ConsumerOptions,
  type ResolvedConsumerOptions,
  resolveConsumerOptions,
} from './consumer-options.ts'
import { FetchBuffer } from './fetch-buffer.ts'
import { FetchCollector } from './fetch-collector.ts'
import { Fetcher } from './fetcher.ts'
import { type ResolvedGroupOptions, resolveGroupOptions } from './group/group-options.ts'
import { GroupSubscription } from './group/group-subscription.ts'
import type { GroupMetadata, RebalanceListener } from './group/rebalance-listener.ts'
import type { ConsumerMessage } from './message.ts'
import { type ResolvedCommitOptions, resolveCommitOptions } from './offsets/commit-options.ts'
import type { CommittedOffset } from './offsets/committed-offsets.ts'
import { coordinatorChannelOf } from './offsets/coordinator-channel.ts'
import { type CommitCallback, GroupOffsets } from './offsets/group-offsets.ts'
import { createPositionValidator } from './offsets/position-validator.ts'
import { type OffsetForTime, offsetsForTimes, type TopicPartitionTimestamp } from './offsets-lookup.ts'

export type { OffsetForTime, TopicPartitionTimestamp } from './offsets-lookup.ts'

import { PositionResolver } from './position-resolver.ts'
import { type ResetTarget, SubscriptionState } from './subscription-state.ts'

export interface PollOptions {
  /** Longest to wait for records when none are buffered. Default 1000. */
  timeoutMs?: number
  /** Aborting it makes a waiting poll throw {@link WakeupError}, as {@link Consumer.wakeup} does. */
  signal?: AbortSignal
}

export interface ConsumeOptions {
  /** Aborting ends the loop after the current handler call; `consume` then resolves. */
  signal?: AbortSignal
}

const defaultPollTimeoutMs = 1000

export class Consumer implements AsyncIterable<ConsumerMessage> {
  readonly options: ResolvedConsumerOptions
  /** The fetch state and offsets of every assigned partition. */
  private readonly subscriptions: SubscriptionState
  /** Commits, the offset store and committed-offset reads (src/consumer/offsets/). */
  private readonly offsets: GroupOffsets

  private readonly cluster: ConsumerCluster
  private readonly buffer = new FetchBuffer<CompletedFetch>()
  private readonly collector: FetchCollector
  private readonly fetcher: Fetcher
  /** Errors to throw from the next read, at most one per partition (the newest). */
  private readonly pendingErrors = new Map<string, KafkaError>()
  /** Partitions whose existence the metadata confirmed since they were assigned. */
  private readonly confirmedPartitions = new Set<string>()
  /** Lookups, resets and validations of positions (position-resolver.ts). */
  private readonly positions: PositionResolver
  private reading = false
  private closed = false
  private readonly closeController = new AbortController()
  /** Records of the last poll(): finished, for the offset store, when the next poll() starts. */
  private lastPolled: ConsumerMessage[] = []
  /** Set by wakeup(): the read in progress, or else the next one, throws WakeupError. */
  private wakeupPending = false
  /** Buffered records are handed out without I/O; this gives the event loop its turns meanwhile. */
  private readonly turns = new TurnBudget()
  private readonly groupOptions: ResolvedGroupOptions | null
  /** Set by the first subscribe(); from then on the group decides the assignment. */
  private group: GroupSubscription | undefined

  constructor(cluster: ConsumerCluster, options: ConsumerOptions = {}) {
    this.cluster = cluster
    this.options = resolveConsumerOptions(options)
    this.groupOptions = resolveGroupOptions(options)
    this.subscriptions = new SubscriptionState(this.options.autoOffsetReset)
    this.fetcher = new Fetcher(cluster, this.subscriptions, this.buffer, this.options, {
      onError: (error) => this.reportError(error),
      onResetNeeded: () => this.updatePositions(),
    })
    this.collector = new FetchCollector(this.buffer, () => this.fetcher.sendFetches())
    this.offsets = new GroupOffsets({
      cluster: coordinatorChannelOf(cluster),
      groupId: this.groupOptions?.groupId,
      groupInstanceId: this.groupOptions?.groupInstanceId ?? null,
      options: resolveCommitOptions(options),
      subscriptions: this.subscriptions,
      logger: cluster.options.logger,
      requestTimeoutMs: cluster.options.requestTimeoutMs,
      retryBackoffMs: this.options.retryBackoffMs,
    })
    this.positions = new PositionResolver({
      cluster,
      subscriptions: this.subscriptions,
      committed: this.offsets,
      validator: createPositionValidator({
        cluster,
        logger: cluster.options.logger,
        retryBackoffMs: this.options.retryBackoffMs,
        report: (error) => this.reportError(error),
      }),
      options: this.options,
      report: (error) => this.reportError(error),
      hasPendingError: (key) => this.pendingErrors.has(key),
      onProgress: () => {
        this.fetcher.sendFetches()
        this.buffer.wakeup()
      },
    })
  }

  /**
   * Reads exactly `partitions` from now on, replacing the previous assignment. Partitions that stay keep their
   * position; new ones start per `autoOffsetReset` unless the application seeks. Topic names and partition
   * numbers are checked here; that they exist is checked against the cluster by the next read, which fails
   * with UNKNOWN_TOPIC_OR_PARTITION naming them if not.
   */
  assign(partitions: readonly TopicPartition[]): void {
    this.throwIfClosed()
    if (this.group !== undefined) {
      throw new IllegalStateError(
        'assign() cannot be used after subscribe(): the group decides the assignment',
      )
    }
    this.replaceAssignment(validateTopicPartitions('assign', partitions))
  }

  /**
   * Joins the consumer group (`groupId`) and reads the partitions it assigns to this member, for `topics` or
   * every topic matching a RegExp (checked again every `metadataMaxAgeMs`, so new matching topics join the
   * subscription). Calling it again replaces the subscription. `listener` is awaited around every rebalance;
   * see {@link RebalanceListener}. Joining happens in the background: reads return records once partitions
   * are assigned.
   */
  subscribe(topics: string[] | RegExp, listener: RebalanceListener = {}): void {
    this.throwIfClosed()
    if (this.groupOptions === null) {
      throw new IllegalStateError('subscribe() needs a consumer group: set the groupId option')
    }
    if (this.group === undefined && this.subscriptions.size > 0) {
      throw new IllegalStateError('subscribe() cannot be used after assign(); use one or the other')
    }
    this.group ??= new GroupSubscription({
      cluster: this.cluster,
      options: this.groupOptions,
      target: {
        setAssignment: (partitions, held) => {
          this.replaceAssignment(partitions)
          if (held !== undefined) this.holdPartitions(held)
        },
        hold: (partitions) => this.holdPartitions(partitions),
        release: (partitions) => this.releasePartitions(partitions),
      },
      hooks: { beforeRevoke: (partitions) => this.offsets.beforeRevoke(partitions) },
      logger: this.cluster.options.logger,
      retryBackoffMs: this.options.retryBackoffMs,
      retryBackoffMaxMs: Math.max(1000, this.options.retryBackoffMs),
    })
    this.offsets.attachMembership(this.group)
    // Commits made inside the listener go out at once; others wait while a join/sync is in progress.
    this.group.subscribe(topics, this.offsets.wrapListener(listener))
  }

  /**
   * The member's identity in its current generation, for commits and for a transactional producer's
   * `sendOffsetsToTransaction`. Before subscribe() (or for an assign-only consumer with a groupId) the
   * generation is -1 and the member id empty, which the coordinator accepts for simple offset commits.
   */
  groupMetadata(): GroupMetadata {
    if (this.groupOptions === null) {
      throw new IllegalStateError('groupMetadata() needs a consumer group: set the groupId option')
    }
    return (
      this.group?.groupMetadata() ?? {
        groupId: this.groupOptions.groupId,
        generationId: -1,
        memberId: '',
        groupInstanceId: this.groupOptions.groupInstanceId,
        protocol: null,
      }
    )
  }

  /**
   * The resolved commit options (auto-commit, the offset store, `run()`'s default ack), for `run()`, which
   * must agree with them.
   * @internal
   */
  get commitOptions(): ResolvedCommitOptions {
    return this.offsets.options
  }

  /** @internal The group membership, for the commit manager (whenStable, rebalanceInProgress). */
  get groupSubscription(): GroupSubscription | undefined {
    return this.group
  }

  private replaceAssignment(partitions: readonly TopicPartition[]): void {
    const removed = this.subscriptions.assign(partitions)
    for (const state of removed) {
      this.buffer.removePartition(state.key)
      this.pendingErrors.delete(state.key)
      this.confirmedPartitions.delete(state.key)
    }
    this.collector.reset()
    this.buffer.wakeup()
  }

  /**
   * Keeps the partitions still while a rebalance listener has them (see {@link PartitionState.held}): what is
   * buffered of them is dropped, so nothing the application has not received yet reaches it afterwards.
   */
  private holdPartitions(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const state = this.subscriptions.get(tp.topic, tp.partition)
      if (state === undefined) continue
      this.subscriptions.hold(state)
      this.buffer.removePartition(state.key)
    }
    this.collector.reset()
  }

  private releasePartitions(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const state = this.subscriptions.get(tp.topic, tp.partition)
      if (state !== undefined) this.subscriptions.release(state)
    }
    this.fetcher.sendFetches()
    this.buffer.wakeup()
  }

  /** The partitions assigned now. */
  assignment(): TopicPartition[] {
    return this.subscriptions.assignment()
  }

  /**
   * Up to `maxPollRecords` records. Waits up to `timeoutMs` when none are buffered, then resolves with an
   * empty array. Throws errors the background work ran into (e.g. OffsetOutOfRangeError with
   * `autoOffsetReset: 'none'`), once each.
   */
  async poll(options: PollOptions = {}): Promise<ConsumerMessage[]> {
    const timeoutMs = options.timeoutMs ?? defaultPollTimeoutMs
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new ConfigError('poll.timeoutMs', `expected a number >= 0, got ${String(timeoutMs)}`)
    }
    this.beginRead('poll')
    const signal = options.signal
    this.group?.notePoll()
    // The records of the previous poll are finished now (see offsets/group-offsets.ts).
    this.offsets.finishedAll(this.lastPolled)
    this.lastPolled = []
    try {
      const deadline = performance.now() + timeoutMs
      await this.confirmAssignment()
      for (;;) {
        // The loop's turn comes before records are taken: a revocation or seek it brings applies to them.
        const turn = this.turns.turnIfDue()
        if (turn !== undefined) await turn
        this.throwIfWokenUp(signal)
        this.throwPendingError()
        this.updatePositions()
        const messages = this.collector.collect(this.options.maxPollRecords)
        this.fetcher.sendFetches()
        if (messages.length > 0) {
          this.lastPolled = messages
          this.turns.count(messages.length)
        }
        if (messages.length > 0 || this.closed) return messages
        const remaining = deadline - performance.now()
        if (remaining <= 0) return messages
        await this.buffer.waitForChange(
          Math.min(remaining, this.untilNextRetry()),
          signal === undefined
            ? this.closeController.signal
            : AbortSignal.any([signal, this.closeController.signal]),
        )
      }
    } finally {
      this.reading = false
    }
  }

  /**
   * Iterates records one at a time until the consumer closes. Records already buffered are handed out
   * without waiting for a timer. Leaving the loop (`break`, `return`, a throw) stops iterating and keeps the
   * consumer open; the position stays right after the last record the loop received.
   */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.iterator(undefined)
  }

  /**
   * The records as an async iterable, like iterating the consumer itself, with a signal: aborting it makes the
   * waiting `next()` throw {@link WakeupError} (as {@link wakeup} does), so `for await` ends in its `catch`.
   */
  messages(options: { signal?: AbortSignal } = {}): AsyncIterable<ConsumerMessage> {
    return { [Symbol.asyncIterator]: () => this.iterator(options.signal) }
  }

  private iterator(signal: AbortSignal | undefined): AsyncIterator<ConsumerMessage> {
    let started = false
    // The message the loop body is processing; finished when the loop asks for the next one.
    let current: ConsumerMessage | undefined
    const finish = (): IteratorReturnResult<undefined> => {
      if (started) this.reading = false
      started = false
      current = undefined
      return { done: true, value: undefined }
    }
    const handOut = (message: ConsumerMessage): IteratorYieldResult<ConsumerMessage> => {
      this.turns.count()
      current = message
      return { done: false, value: message }
    }
    return {
      next: (): Promise<IteratorResult<ConsumerMessage>> => {
        if (!started) {
          this.beginRead('iterate')
          started = true
        }
        this.group?.notePoll()
        if (current !== undefined) {
          this.offsets.finished(current)
          current = undefined
        }
        const turn = this.turns.turnIfDue()
        const interrupted = this.wakeupPending || signal?.aborted === true
        if (turn === undefined && !interrupted && this.pendingErrors.size === 0 && !this.closed) {
          const message = this.collector.next()
          if (message !== undefined) return Promise.resolve(handOut(message))
        }
        // After a turn of the loop (when one was due) the next record is taken fresh: whatever the turn
        // changed (a revocation, a seek, a close) applies to it.
        return (turn ?? Promise.resolve())
          .then(() => this.nextMessage(undefined, signal))
          .then(
            (message) => (message === undefined ? finish() : handOut(message)),
            (error: unknown) => {
              finish()
              throw error
            },
          )
      },
      return: (): Promise<IteratorResult<ConsumerMessage>> => Promise.resolve(finish()),
    }
  }

  /**
   * Calls `handler` with each record, in order per partition, until `signal` aborts or the consumer closes.
   * If `handler` throws, the partition's position goes back to that record (it was not consumed) and
   * `consume` rejects with the error.
   */
  async consume(handler: (message: ConsumerMessage) => unknown, options: ConsumeOptions = {}): Promise<void> {
    const signal = options.signal
    this.beginRead('consume')
    try {
      while (!signal?.aborted && !this.closed) {
        this.group?.notePoll()
        const turn = this.turns.turnIfDue()
        if (turn !== undefined) {
          await turn
          continue
        }
        const message = this.collector.next() ?? (await this.nextMessage(signal))
        if (message === undefined) continue
        this.turns.count()
        try {
          await handler(message)
        } catch (error) {
          if (this.subscriptions.get(message.topic, message.partition) !== undefined) {
            this.seek({ topic: message.topic, partition: message.partition, offset: message.offset })
          }
          throw error
        }
        this.offsets.finished(message)
      }
    } finally {
      this.reading = false
    }
  }

  // -- offsets of the group (offsets/group-offsets.ts says when a message counts as finished) ----------------

  /**
   * Commits and waits for the coordinator's answer ("sync"). Without `offsets`, commits the position of every
   * assigned partition: everything handed to the application so far. With `offsets`, commits exactly those
   * (the next offset to read, optional `metadata` up to 4096 bytes); a lower offset than before rewinds the
   * group on purpose. Earlier commits go first, so commits reach the coordinator in call order.
   *
   * While the group is in a join/sync, the commit waits (up to `requestTimeoutMs`) for this member's new
   * assignment, then commits with the new generation the partitions it still owns. Called inside a
   * {@link RebalanceListener} callback (e.g. `onPartitionsRevoked`, the place to commit what was processed of
   * the partitions leaving), it goes out at once: the generation is still valid there.
   * @throws CommitFailedError (with the partitions) when this member no longer owns them — including the
   *   partitions a rebalance took away while the commit waited (the others are committed);
   *   RebalanceInProgressError when the rebalance did not finish within `requestTimeoutMs`; ConfigError /
   *   IllegalStateError for bad input, before anything is sent or waited for.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    this.throwIfClosed()
    return this.offsets.commit(offsets)
  }

  /**
   * Commits without waiting; the outcome goes to `callback` (or to the logger). Never moves a partition's
   * committed offset backwards, and a failed async commit is not retried once a newer commit is queued. During
   * a join/sync it is held back like {@link commit}, and the callback gets the same errors. In a group, a
   * partition whose offset the coordinator already confirmed from this consumer (and that no other commit
   * changed since) is not written again; the callback lists it as committed.
   */
  commitAsync(offsets?: readonly TopicPartitionOffset[], callback?: CommitCallback): void {
    this.throwIfClosed()
    this.offsets.commitAsync(offsets, callback)
  }

  /**
   * Stores offsets for auto-commit to commit (needs `enableAutoOffsetStore: false`). A message stores
   * `message.offset + 1`; offsets are stored as given.
   */
  storeOffsets(messageOrOffsets: ConsumerMessage | readonly TopicPartitionOffset[]): void {
    this.throwIfClosed()
    this.offsets.storeOffsets(messageOrOffsets)
  }

  /**
   * The group's committed offsets for `partitions` (assigned or not); `offset` is null where nothing is
   * committed. Read with requireStable, so offsets a pending transaction holds are waited for.
   */
  async committed(
    partitions: readonly TopicPartition[],
    options: { timeoutMs?: number } = {},
  ): Promise<CommittedOffset[]> {
    this.throwIfClosed()
    return this.offsets.committed(partitions, options)
  }

  /**
   * The offset of the next record this consumer will hand out for `tp`.
   * @throws IllegalStateError naming the partition if it is not assigned or its position is not known yet
   *   (a lookup is pending: use {@link positionAsync}, or read first).
   */
  position(tp: TopicPartition): bigint {
    const state = this.subscriptions.require(tp, 'position')
    if (state.position === undefined) {
      throw new IllegalStateError(
        `position: partition ${tp.topic}-${tp.partition} has no position yet (its offset lookup is pending); ` +
          'await positionAsync() or read first',
        { topic: tp.topic, partition: tp.partition },
      )
    }
    return state.position.offset
  }

  /** Like {@link position}, but first looks up the offset if it is pending (seekToEnd, autoOffsetReset...). */
  async positionAsync(tp: TopicPartition, options: { timeoutMs?: number } = {}): Promise<bigint> {
    const state = this.subscriptions.require(tp, 'position')
    if (state.position === undefined) await this.positions.resolveNow([state], options.timeoutMs)
    return this.position(tp)
  }

  /**
   * Makes `offset` the next record to hand out for the partition. Buffered data of the partition is dropped,
   * so nothing fetched for the old position is delivered. Seeking outside the log is allowed; the next
   * fetch then resets the position per `autoOffsetReset` (or throws OffsetOutOfRangeError if `none`).
   */
  seek(target: TopicPartitionOffset): void {
    this.throwIfClosed()
    validateTopicName('seek.topic', target?.topic)
    validatePartition('seek.partition', target.partition)
    validateOffset('seek.offset', target.offset)
    const leaderEpoch = target.leaderEpoch
    this.subscriptions.seek(
      target,
      { offset: target.offset, leaderEpoch },
      { validate: leaderEpoch !== undefined },
    )
    this.afterPositionChange(topicPartitionKey(target.topic, target.partition))
  }

  /** Moves the partitions (all assigned ones if omitted) to the start of their logs, looked up on the next read. */
  seekToBeginning(partitions?: readonly TopicPartition[]): void {
    this.seekToTarget('seekToBeginning', 'earliest', partitions)
  }

  /** Moves the partitions (all assigned ones if omitted) to the end of their logs, looked up on the next read. */
  seekToEnd(partitions?: readonly TopicPartition[]): void {
    this.seekToTarget('seekToEnd', 'latest', partitions)
  }

  /**
   * For each partition, the first offset whose record timestamp is at or after `timestamp` (null when the
   * log has no such record), as the Java client's offsetsForTimes. The partitions need not be assigned.
   */
  async offsetsForTimes(
    queries: readonly TopicPartitionTimestamp[],
    options: { timeoutMs?: number } = {},
  ): Promise<OffsetForTime[]> {
    this.throwIfClosed()
    validateTopicPartitions('offsetsForTimes', queries)
    return offsetsForTimes(this.cluster, queries, {
      isolationLevel: this.options.isolationLevel,
      timeoutMs: options.timeoutMs ?? this.cluster.options.requestTimeoutMs,
      retryBackoffMs: this.options.retryBackoffMs,
    })
  }

  /** Stops fetching the partitions; buffered records of them are kept and handed out after {@link resume}. */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of validateTopicPartitions('pause', partitions)) this.subscriptions.pause(tp)
    this.collector.reset()
  }

  /** Resumes fetching and delivering the partitions. */
  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of validateTopicPartitions('resume', partitions)) this.subscriptions.resume(tp)
    this.collector.reset()
    this.fetcher.sendFetches()
    this.buffer.wakeup()
  }

  /** The paused partitions. */
  paused(): TopicPartition[] {
    return this.subscriptions.paused()
  }

  /**
   * Stops fetching and ends every read: a waiting `poll` resolves empty, iterators finish, `consume` resolves.
   * Fetches in flight are abandoned. The shared cluster (and its connections) stays open.
   */
  async close(): Promise<void> {
    if (this.closed) return
    // Commit what the application finished (auto-commit), then leave the group while positions still
    // exist: revoke listeners may commit them. A failed final commit is thrown once the close is complete.
    let commitFailure: unknown
    await this.offsets.close().catch((error: unknown) => {
      commitFailure = error
    })
    await this.group?.close()
    // Only now: revoke listeners may commit while the group closes.
    await this.offsets.disconnect()
    this.closed = true
    this.fetcher.close()
    this.closeController.abort()
    this.buffer.clear()
    this.collector.reset()
    this.buffer.wakeup()
    if (commitFailure !== undefined) throw commitFailure
  }

  /**
   * Makes the `poll()`, iterator `next()` or `consume()` waiting now throw {@link WakeupError}, or the next one
   * if none is waiting: the Java client's `wakeup()`, safe to call from a signal handler or a timer. The
   * consumer stays usable; commit and close it in the `finally` of the loop the error ended.
   */
  wakeup(): void {
    this.wakeupPending = true
    this.buffer.wakeup()
  }

  // ---------------------------------------------------------------------------------------------------------

  private throwIfWokenUp(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new WakeupError('poll: its signal was aborted')
    if (!this.wakeupPending) return
    this.wakeupPending = false
    throw new WakeupError()
  }

  private beginRead(operation: string): void {
    this.throwIfClosed()
    if (this.reading) {
      throw new IllegalStateError(
        `${operation}: another poll, iterator or consume() is already reading from this consumer; ` +
          'a consumer serves one reader at a time',
      )
    }
    this.reading = true
  }

  /** Waits for the next record; undefined when the consumer closes or `signal` aborts. */
  /**
   * `signal` ends the wait quietly (consume's contract); `wakeupSignal` ends it with {@link WakeupError}
   * (the iterator's).
   */
  private async nextMessage(
    signal: AbortSignal | undefined,
    wakeupSignal?: AbortSignal,
  ): Promise<ConsumerMessage | undefined> {
    await this.confirmAssignment()
    if (wakeupSignal !== undefined) signal = wakeupSignal
    const signals =
      signal === undefined
        ? this.closeController.signal
        : AbortSignal.any([signal, this.closeController.signal])
    for (;;) {
      this.throwIfWokenUp(wakeupSignal)
      this.throwPendingError()
      if (this.closed || signal?.aborted) return undefined
      this.updatePositions()
      const message = this.collector.next()
      if (message !== undefined) return message
      this.fetcher.sendFetches()
      await this.buffer.waitForChange(Math.min(defaultPollTimeoutMs, this.untilNextRetry()), signals)
    }
  }

  /**
   * Milliseconds until the earliest backed-off lookup or fetch may be retried; nothing rings the buffer for
   * those, so a waiting reader wakes itself.
   */
  private untilNextRetry(): number {
    const now = performance.now()
    let earliest = Number.POSITIVE_INFINITY
    for (const state of this.subscriptions.states()) {
      if (state.retryAt > now && state.retryAt < earliest) earliest = state.retryAt
    }
    return Math.max(1, earliest - now)
  }

  private throwIfClosed(): void {
    if (this.closed) throw new ClosedError('the consumer is closed')
  }

  private reportError(error: KafkaError): void {
    const key = error.topic === undefined ? '' : topicPartitionKey(error.topic, error.partition ?? -1)
    this.pendingErrors.set(key, error)
    this.buffer.wakeup()
  }

  private throwPendingError(): void {
    const groupFailure = this.group?.takeFailure()
    if (groupFailure !== undefined) throw groupFailure
    if (this.pendingErrors.size === 0) return
    const [key, error] = this.pendingErrors.entries().next().value as [string, KafkaError]
    this.pendingErrors.delete(key)
    throw error
  }

  private afterPositionChange(key: string): void {
    this.buffer.removePartition(key)
    this.pendingErrors.delete(key)
    this.collector.reset()
    this.buffer.wakeup()
  }

  private seekToTarget(operation: string, target: ResetTarget, partitions?: readonly TopicPartition[]): void {
    this.throwIfClosed()
    const states =
      partitions === undefined
        ? [...this.subscriptions.states()]
        : validateTopicPartitions(operation, partitions).map((tp) =>
            this.subscriptions.require(tp, operation),
          )
    for (const state of states) {
      this.subscriptions.requestReset(state, target)
      this.afterPositionChange(state.key)
    }
  }

  /** Confirms with the cluster that newly assigned partitions exist; throws naming the first that does not. */
  private async confirmAssignment(): Promise<void> {
    const unconfirmed = [...this.subscriptions.states()].filter((s) => !this.confirmedPartitions.has(s.key))
    if (unconfirmed.length === 0) return
    await Promise.all(
      unconfirmed.map(async (state) => {
        await this.cluster.partition(state.topic, state.partition)
        this.confirmedPartitions.add(state.key)
      }),
    )
  }

  /** Starts offset lookups and validations that are due (see position-resolver.ts). Never waits. */
  private updatePositions(): void {
    if (!this.closed) this.positions.update()
  }
}
