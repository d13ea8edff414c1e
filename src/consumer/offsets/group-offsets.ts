/**
 * The consumer's offset API: commits, auto-commit, the offset store, committed-offset reads and the start
 * positions they give newly assigned partitions.
 *
 * ## When is a message finished?
 * Auto-commit and the automatic offset store only ever use offsets of messages the application has finished
 * with, never merely received:
 * - `poll()`: the records of a poll are finished when the application calls `poll()` again;
 * - `for await (const message of consumer)`: a message is finished when the loop asks for the next one;
 * - `consume(handler)`: a message is finished when `handler` resolved for it.
 * So a crash while processing re-delivers what was being processed (at-least-once) and loses nothing.
 *
 * ## The committed offset is the next offset to read
 * As in Kafka, a committed offset is the offset of the first record *not yet* processed: after processing
 * the record at offset 41, commit 42. `storeOffsets(message)` does the +1 itself; APIs taking
 * `TopicPartitionOffset`s take the Kafka meaning.
 *
 * ## Recipe: async in the loop, sync on close
 * ```ts
 * try {
 *   for (;;) {
 *     const records = await consumer.poll({ timeoutMs: 1000 })
 *     await process(records)
 *     consumer.commitAsync(undefined, (error) => error && log(error))   // never blocks, never goes backwards
 *   }
 * } finally {
 *   await consumer.commit()   // sync: the last word, waits for the queued async commits first
 *   await consumer.close()
 * }
 * ```
 */

import { AsyncLocalStorage } from 'node:async_hooks'
import {
  CommitFailedError,
  ConfigError,
  IllegalStateError,
  type KafkaError,
  RebalanceInProgressError,
  UncommittedOffsetsError,
} from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import type { TopicPartition, TopicPartitionOffset } from '../../common/types.ts'
import { topicPartitionKey } from '../../common/types.ts'
import {
  validateOffset,
  validatePartition,
  validateTopicName,
  validateTopicPartitions,
} from '../../common/validate.ts'
import type { GroupMetadata, RebalanceListener } from '../group/rebalance-listener.ts'
import type { ConsumerMessage } from '../message.ts'
import type { PartitionState, SubscriptionState } from '../subscription-state.ts'
import { AutoCommitTimer } from './auto-commit.ts'
import { CommitManager, requireGroupId } from './commit-manager.ts'
import type { ResolvedCommitOptions } from './commit-options.ts'
import { type CommittedOffset, fetchCommittedOffsets } from './committed-offsets.ts'
import type { CoordinatorChannel } from './coordinator-channel.ts'
import type { PartitionOffsets, PartitionOffsetsTable } from './partition-offsets.ts'

/** Broker default of `offset.metadata.max.bytes`; longer metadata is refused with OFFSET_METADATA_TOO_LARGE. */
export const OFFSET_METADATA_MAX_BYTES = 4096

/** Called when a `commitAsync` settles: the error, or null and the offsets committed. */
export type CommitCallback = (error: KafkaError | null, offsets: TopicPartitionOffset[]) => void

/** What the offsets need of the group membership: the identity commits carry, and whether it is rebalancing. */
export interface MembershipView {
  groupMetadata(): GroupMetadata
  readonly rebalanceInProgress: boolean
  /** True while a commit sent now would be refused for the member's identity (see GroupMembership). */
  readonly commitsMustWait: boolean
  /** Resolves once the member has its assignment in a stable generation (or stopped trying). */
  whenStable(): Promise<void>
}

/** The listener callbacks, each run through {@link GroupOffsets.inListener}. */
const LISTENER_CALLBACKS = ['onPartitionsAssigned', 'onPartitionsRevoked', 'onPartitionsLost'] as const

export interface GroupOffsetsInit {
  /** The coordinator connection for commits and committed-offset reads; closed by {@link GroupOffsets.disconnect}. */
  cluster: CoordinatorChannel
  groupId: string | undefined
  groupInstanceId: string | null
  options: ResolvedCommitOptions
  subscriptions: SubscriptionState
  logger: Logger
  requestTimeoutMs: number
  retryBackoffMs: number
}

export class GroupOffsets {
  readonly groupId: string | undefined
  readonly options: ResolvedCommitOptions
  private readonly cluster: CoordinatorChannel
  private readonly subscriptions: SubscriptionState
  private readonly logger: Logger
  private readonly requestTimeoutMs: number
  private readonly retryBackoffMs: number
  private readonly groupInstanceId: string | null
  /** The assigned partitions' offsets: what is stored, sent, confirmed (partition-offsets.ts). */
  private readonly table: PartitionOffsetsTable
  /** The record the last finished message belonged to, so finishing one message costs no map lookup. */
  private lastFinished: PartitionOffsets | undefined
  private readonly manager: CommitManager | undefined
  private readonly timer: AutoCommitTimer | undefined
  private membership: MembershipView | undefined
  /** Set in the async context of a rebalance-listener callback: its commits must not wait for the rebalance. */
  private readonly listenerContext = new AsyncLocalStorage<true>()
  private closed = false

  constructor(init: GroupOffsetsInit) {
    this.cluster = init.cluster
    this.groupId = init.groupId
    this.groupInstanceId = init.groupInstanceId
    this.options = init.options
    this.subscriptions = init.subscriptions
    this.table = init.subscriptions.offsets
    this.logger = init.logger
    this.requestTimeoutMs = init.requestTimeoutMs
    this.retryBackoffMs = init.retryBackoffMs
    if (init.groupId !== undefined) {
      this.manager = new CommitManager({
        cluster: init.cluster,
        groupId: init.groupId,
        offsets: this.table,
        identity: () => this.identity(),
        logger: init.logger,
        onCommit: init.options.onCommit,
      })
      if (init.options.enableAutoCommit) {
        this.timer = new AutoCommitTimer(init.options.autoCommitIntervalMs, () => this.autoCommit())
        this.timer.start()
      }
    }
  }

  /** Commits go out with this membership's generation (or member epoch) from now on. */
  attachMembership(membership: MembershipView | undefined): void {
    this.membership = membership
  }

  /** The identity commits carry: the membership's, or a simple consumer's (generation -1) in assign mode. */
  identity(): GroupMetadata {
    if (this.membership !== undefined) return this.membership.groupMetadata()
    return {
      groupId: this.groupId ?? '',
      generationId: -1,
      memberId: '',
      groupInstanceId: this.groupInstanceId,
      protocol: null,
    }
  }

  // -- the offset store ---------------------------------------------------------------------------------------

  /** The application finished with `message` (see the module comment); stores it if the store is automatic. */
  finished(message: ConsumerMessage): void {
    if (!this.options.enableAutoOffsetStore || this.groupId === undefined) return
    this.recordOf(message)?.finish(message.offset + 1n, message.leaderEpoch)
  }

  /** Like {@link finished} for the records of one poll: stores the last one of each partition. */
  finishedAll(messages: readonly ConsumerMessage[]): void {
    if (!this.options.enableAutoOffsetStore || this.groupId === undefined) return
    // A poll returns each partition's records in runs, in offset order: storing the last record of each run
    // leaves every partition at its latest offset without a lookup per record.
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!
      const next = messages[i + 1]
      if (next !== undefined && next.partition === message.partition && next.topic === message.topic) continue
      this.recordOf(message)?.finish(message.offset + 1n, message.leaderEpoch)
    }
  }

  /** The offsets record of `message`'s partition, if it is still assigned. */
  private recordOf(message: ConsumerMessage): PartitionOffsets | undefined {
    const last = this.lastFinished
    if (
      last !== undefined &&
      !last.revoked &&
      last.partition === message.partition &&
      last.topic === message.topic
    ) {
      return last
    }
    const record = this.table.get(message.topic, message.partition)
    if (record !== undefined) this.lastFinished = record
    return record
  }

  /**
   * Stores offsets for the next commit (auto-commit, or `commit()` on close). A message stores `offset + 1`
   * with its leader epoch; `TopicPartitionOffset`s are stored as given (the next offset to read).
   */
  storeOffsets(input: ConsumerMessage | readonly TopicPartitionOffset[]): void {
    requireGroupId(this.groupId, 'storeOffsets')
    if (this.options.enableAutoOffsetStore) {
      throw new IllegalStateError(
        'storeOffsets: the consumer stores offsets itself (enableAutoOffsetStore is true); ' +
          'create it with enableAutoOffsetStore: false to store offsets explicitly',
      )
    }
    const offsets = Array.isArray(input)
      ? this.validateOffsets('storeOffsets', input as readonly TopicPartitionOffset[])
      : [offsetAfter(validateMessage(input as ConsumerMessage))]
    if (!Array.isArray(input)) this.requireOwned('storeOffsets', offsets)
    for (const offset of offsets) this.table.get(offset.topic, offset.partition)?.store(offset)
  }

  // -- commits ------------------------------------------------------------------------------------------------

  /**
   * Commits `offsets`, or — without them — the position of every assigned partition (everything handed to
   * the application so far). Resolves with what was committed; see CommitManager for the ordering rules.
   *
   * While the group is in a join/sync, the commit first waits (up to `requestTimeoutMs`) for the member's
   * new assignment: sent in the middle of it, the coordinator would refuse it with REBALANCE_IN_PROGRESS or
   * ILLEGAL_GENERATION. It then goes out with the new generation for the partitions still owned, and rejects
   * with CommitFailedError naming the partitions the rebalance took away (the others are committed).
   * Commits made inside a rebalance listener never wait: the rebalance is waiting for the listener.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    const requested = this.commitInput('commit', offsets)
    const manager = this.requireManager('commit')
    const { toCommit, lost } = await this.settleRebalance('commit', requested, offsets === undefined)
    let committed: TopicPartitionOffset[]
    try {
      committed = await manager.commit(toCommit, 'sync')
    } catch (error) {
      this.commitFailed(toCommit)
      throw error
    }
    if (lost.length > 0) throw lostInRebalance('commit', lost)
    return committed
  }

  /** Like {@link commit} but never blocks: the outcome goes to `callback`, or to the log without one. */
  commitAsync(offsets?: readonly TopicPartitionOffset[], callback?: CommitCallback): void {
    const report = (error: KafkaError, attempted: TopicPartitionOffset[]) => {
      if (callback === undefined) this.logger.warn('async offset commit failed', { error })
      else callback(error, attempted)
    }
    // Input errors throw here, before anything is queued; only the wait for a rebalance is deferred.
    const requested = this.commitInput('commitAsync', offsets)
    const manager = this.requireManager('commitAsync')
    this.settleRebalance('commitAsync', requested, offsets === undefined).then(
      ({ toCommit, lost }) => {
        manager.commit(toCommit, 'async').then(
          (committed) => {
            if (lost.length > 0) report(lostInRebalance('commitAsync', lost), toCommit)
            else callback?.(null, committed)
          },
          (error: KafkaError) => {
            this.commitFailed(toCommit)
            report(error, toCommit)
          },
        )
      },
      (error: KafkaError) => report(error, []),
    )
  }

  /**
   * Runs one rebalance-listener callback. Commits it makes (in its async context) go out at once with the
   * current generation: the membership calls listeners before JoinGroup or after SyncGroup, never in between,
   * and waits for them, so waiting for the rebalance there would wait for ourselves.
   */
  inListener<T>(callback: () => T | Promise<T>): Promise<T> {
    return this.listenerContext.run(true, async () => callback())
  }

  /**
   * `listener` with each callback run through {@link inListener}. Anything that is not a callback is passed
   * on unchanged, so the group layer's validation still names what is wrong with it.
   */
  wrapListener(listener: RebalanceListener): RebalanceListener {
    if (typeof listener !== 'object' || listener === null) return listener
    const wrapped: Record<string, unknown> = { ...listener }
    for (const key of LISTENER_CALLBACKS) {
      const callback: unknown = listener[key]
      if (typeof callback !== 'function') continue
      wrapped[key] = (partitions: TopicPartition[]) =>
        this.inListener(() => (callback as (p: TopicPartition[]) => unknown).call(listener, partitions))
    }
    return wrapped as RebalanceListener
  }

  /** The group's committed offsets of `partitions` (assigned or not), read with requireStable. */
  async committed(
    partitions: readonly TopicPartition[],
    options: { timeoutMs?: number } = {},
  ): Promise<CommittedOffset[]> {
    const groupId = requireGroupId(this.groupId, 'committed')
    validateTopicPartitions('committed', partitions)
    return fetchCommittedOffsets(this.cluster, groupId, partitions, {
      timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
      retryBackoffMs: this.retryBackoffMs,
    })
  }

  /** Membership hook: commit what is finished of `partitions` while this member still owns them. */
  async beforeRevoke(partitions: readonly TopicPartition[]): Promise<void> {
    if (!this.options.enableAutoCommit || this.manager === undefined) return
    const keys = new Set(partitions.map((tp) => topicPartitionKey(tp.topic, tp.partition)))
    const pending = this.table.pendingStores((record) => keys.has(record.key))
    if (pending.length === 0) return
    await this.manager.commit(pending, 'sync', 'revoke').catch((error: unknown) => {
      this.commitFailed(pending)
      throw error
    })
  }

  /** Stops auto-commit after one last commit of what is finished, and waits for queued commits. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.timer?.stop()
    if (this.manager === undefined) return
    let failure: UncommittedOffsetsError | undefined
    if (this.options.enableAutoCommit) {
      const pending = this.table.pendingStores()
      if (pending.length > 0) {
        await this.manager.commit(pending, 'sync', 'close').catch((error: unknown) => {
          failure = new UncommittedOffsetsError('close', pending, error)
          this.logger.warn('offset commit on close failed', { groupId: this.groupId, error: failure })
        })
      }
    }
    await this.manager.drain()
    // Reported after the drain, so the caller can finish closing (leave the group) before it sees the error.
    if (failure !== undefined) throw failure
  }

  /** Closes the coordinator connection; the last step of closing the consumer, after the group is left. */
  async disconnect(): Promise<void> {
    await this.manager?.drain()
    await this.cluster.close()
  }

  // -- start positions ----------------------------------------------------------------------------------------

  /** Whether `state` should start from the group's committed offset before falling back to autoOffsetReset. */
  wantsCommittedOffset(state: PartitionState): boolean {
    return this.groupId !== undefined && state.resetTarget === undefined && state.offsets.needsCommittedLookup
  }

  /**
   * Positions `states` at their committed offsets; those without one stay awaiting a reset (autoOffsetReset).
   * A committed offset with a leader epoch is validated before fetching (the log may have been truncated
   * since it was committed).
   */
  async positionFromCommitted(states: readonly PartitionState[]): Promise<void> {
    const groupId = requireGroupId(this.groupId, 'positionFromCommitted')
    for (const state of states) state.offsets.committedLookupStarted()
    const generations = states.map((state) => state.generation)
    let answers: CommittedOffset[]
    try {
      answers = await fetchCommittedOffsets(this.cluster, groupId, states, {
        timeoutMs: this.requestTimeoutMs,
        retryBackoffMs: this.retryBackoffMs,
      })
    } catch (error) {
      for (const state of states) {
        state.offsets.committedLookupFailed()
        state.retryAt = performance.now() + this.retryBackoffMs
      }
      throw error
    }
    states.forEach((state, i) => {
      const answer = answers[i]
      const current = this.subscriptions.getByKey(state.key)
      if (current !== state || state.generation !== generations[i] || state.state !== 'awaiting-reset') return
      if (answer === undefined || answer.offset === null) {
        state.retryAt = 0
        return
      }
      const position = { offset: answer.offset, leaderEpoch: answer.leaderEpoch }
      state.moveTo(position, answer.leaderEpoch === undefined ? 'fetching' : 'awaiting-validation')
    })
  }

  // -- internals ----------------------------------------------------------------------------------------------

  /**
   * The offsets a commit call sends, after waiting out a join/sync in progress (see {@link commit}), and the
   * partitions of `requested` that the rebalance took away. `consumedPositions`: the call named no offsets.
   */
  private async settleRebalance(
    operation: string,
    requested: TopicPartitionOffset[],
    consumedPositions: boolean,
  ): Promise<{ toCommit: TopicPartitionOffset[]; lost: TopicPartition[] }> {
    const membership = this.membership
    if (
      requested.length === 0 ||
      membership === undefined ||
      this.listenerContext.getStore() === true ||
      !membership.commitsMustWait
    ) {
      return { toCommit: requested, lost: [] }
    }
    // Who made the commit, and the assignment each partition was in: see stillOwned().
    const made = membership.groupMetadata()
    const assignments = requested.map((o) => this.table.get(o.topic, o.partition))
    // Not a member at all (removed after a poll timeout, or fenced): waiting would not give the partitions back.
    if (membership.groupMetadata().generationId >= 0) await this.waitForRebalance(operation, requested)
    if (membership.groupMetadata().generationId < 0) {
      return { toCommit: [], lost: requested.map(({ topic, partition }) => ({ topic, partition })) }
    }
    // commit() without offsets means "what was handed out": read it again now, for the partitions still owned.
    const current = consumedPositions ? this.subscriptions.allConsumed() : undefined
    const toCommit: TopicPartitionOffset[] = []
    const lost: TopicPartition[] = []
    const now = membership.groupMetadata()
    requested.forEach((o, i) => {
      if (current !== undefined) {
        const position = this.owns(o) ? current.get(topicPartitionKey(o.topic, o.partition)) : undefined
        if (position !== undefined) toCommit.push(position)
        else if (!this.owns(o)) lost.push({ topic: o.topic, partition: o.partition })
        return
      }
      if (this.stillOwned(o, assignments[i], made, now)) toCommit.push(o)
      else lost.push({ topic: o.topic, partition: o.partition })
    })
    return { toCommit, lost }
  }

  /**
   * Whether offsets named for `tp` before a rebalance may still be committed after it. They may if no other
   * member can have owned the partition meanwhile: it stayed in the same assignment (`before`, its offsets
   * record then), or the member, under the same member id, got it back in the very next generation (an eager
   * rebalance revokes everything and hands much of it back). Otherwise (lost with the membership, or owned
   * by someone else for a generation) another member may have processed and committed further, and these
   * offsets would move the group's committed offset back.
   */
  private stillOwned(
    tp: TopicPartition,
    before: PartitionOffsets | undefined,
    made: GroupMetadata,
    now: GroupMetadata,
  ): boolean {
    const record = this.table.get(tp.topic, tp.partition)
    if (record === undefined) return false
    if (record === before && !record.revoked) return true
    return now.memberId === made.memberId && now.generationId === made.generationId + 1
  }

  /** Waits for the membership to be stable, at most `requestTimeoutMs`. */
  private async waitForRebalance(operation: string, partitions: readonly TopicPartition[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new RebalanceInProgressError(
            `${operation}: group "${this.groupId}" was still rebalancing after ${this.requestTimeoutMs} ms ` +
              '(requestTimeoutMs); nothing was committed. Keep polling so the rebalance can finish, then commit again.',
            partitions.map(({ topic, partition }) => ({ topic, partition })),
          ),
        )
      }, this.requestTimeoutMs)
    })
    try {
      await Promise.race([this.membership?.whenStable(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async autoCommit(): Promise<void> {
    if (this.manager === undefined || this.closed) return
    // The commit before revoke covers the partitions a rebalance takes away; the next tick covers the rest.
    if (this.membership?.rebalanceInProgress === true) return
    const pending = this.table.pendingStores()
    if (pending.length === 0) return
    try {
      await this.manager.commit(pending, 'async', 'auto')
    } catch (error) {
      this.commitFailed(pending)
      this.logger.warn('auto-commit failed; the next one retries', { groupId: this.groupId, error })
    }
  }

  /** A commit of `offsets` failed as a whole: their stored offsets go out again with the next commit. */
  private commitFailed(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.table.get(o.topic, o.partition)?.commitFailed(o.offset)
  }

  private owns(tp: TopicPartition): boolean {
    return this.subscriptions.get(tp.topic, tp.partition) !== undefined
  }

  private requireManager(operation: string): CommitManager {
    requireGroupId(this.groupId, operation)
    return this.manager as CommitManager
  }

  /** The offsets a commit call names, validated; all consumed positions when none are given. */
  private commitInput(
    operation: string,
    offsets: readonly TopicPartitionOffset[] | undefined,
  ): TopicPartitionOffset[] {
    requireGroupId(this.groupId, operation)
    if (offsets === undefined) return [...this.subscriptions.allConsumed().values()]
    if (!Array.isArray(offsets)) {
      throw new ConfigError(operation, 'expected an array of { topic, partition, offset, metadata? }')
    }
    return this.validateOffsets(operation, offsets)
  }

  private validateOffsets(
    operation: string,
    offsets: readonly TopicPartitionOffset[],
  ): TopicPartitionOffset[] {
    const result = offsets.map((o, i) => {
      const name = `${operation}[${i}]`
      validateTopicName(`${name}.topic`, o?.topic)
      validatePartition(`${name}.partition`, o.partition)
      validateOffset(`${name}.offset`, o.offset)
      const entry: TopicPartitionOffset = { topic: o.topic, partition: o.partition, offset: o.offset }
      if (o.metadata !== undefined) {
        if (typeof o.metadata !== 'string') {
          throw new ConfigError(`${name}.metadata`, `expected a string, got ${typeof o.metadata}`)
        }
        const bytes = Buffer.byteLength(o.metadata, 'utf8')
        if (bytes > OFFSET_METADATA_MAX_BYTES) {
          throw new ConfigError(
            `${name}.metadata`,
            `is ${bytes} bytes for ${o.topic}-${o.partition}; brokers refuse more than ` +
              `${OFFSET_METADATA_MAX_BYTES} (offset.metadata.max.bytes) with OFFSET_METADATA_TOO_LARGE`,
          )
        }
        entry.metadata = o.metadata
      }
      if (o.leaderEpoch !== undefined) {
        if (!Number.isInteger(o.leaderEpoch) || o.leaderEpoch < 0) {
          throw new ConfigError(
            `${name}.leaderEpoch`,
            `expected an integer >= 0, got ${String(o.leaderEpoch)}`,
          )
        }
        entry.leaderEpoch = o.leaderEpoch
      }
      return entry
    })
    this.requireOwned(operation, result)
    return result
  }

  /** Refuses offsets of partitions this consumer is not assigned, before anything is sent or stored. */
  private requireOwned(operation: string, offsets: readonly TopicPartition[]): void {
    const foreign = offsets.filter((tp) => !this.owns(tp))
    if (foreign.length === 0) return
    const names = foreign.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')
    if (this.membership !== undefined) {
      throw new CommitFailedError(
        `${operation}: partitions ${names} are not assigned to this member (a rebalance gave them to another ` +
          'member, or they were never assigned); their offsets were not committed',
        foreign.map(({ topic, partition }) => ({ topic, partition })),
      )
    }
    throw new IllegalStateError(
      `${operation}: partitions ${names} are not assigned to this consumer; assign them first`,
      { topic: foreign[0]?.topic, partition: foreign[0]?.partition },
    )
  }
}

/** The error for partitions a commit named that a rebalance took away while the commit waited for it. */
function lostInRebalance(operation: string, partitions: TopicPartition[]): CommitFailedError {
  const names = partitions.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')
  return new CommitFailedError(
    `${operation}: partitions ${names} were revoked or lost in the rebalance this commit waited for (a partition ` +
      'assigned back after another member may have owned it counts as lost); their offsets were not committed, ' +
      'and their owner reads from the last committed offset. The other partitions were committed.',
    partitions,
  )
}

/** The offset to commit after processing `message`: the next one, with the message's leader epoch. */
export function offsetAfter(message: ConsumerMessage): TopicPartitionOffset {
  const offset: TopicPartitionOffset = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset + 1n,
  }
  if (message.leaderEpoch >= 0) offset.leaderEpoch = message.leaderEpoch
  return offset
}

function validateMessage(message: ConsumerMessage): ConsumerMessage {
  if (typeof message !== 'object' || message === null) {
    throw new TypeError('storeOffsets() takes a consumed message or an array of { topic, partition, offset }')
  }
  validateTopicName('storeOffsets.topic', message.topic)
  validatePartition('storeOffsets.partition', message.partition)
  validateOffset('storeOffsets.offset', message.offset)
  return message
}
