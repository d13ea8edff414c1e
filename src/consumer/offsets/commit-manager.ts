/**
 * Sends a group's offset commits, one at a time.
 *
 * Commits are serialized: each waits for the one before it, so they reach the coordinator in the order the
 * application made them and an in-flight commit is never cancelled or overtaken. That is what keeps an older
 * commit from overwriting a newer one. Two more rules close the remaining gaps:
 *
 * - An asynchronous commit never moves a partition's offset backwards: partitions whose offset is below the
 *   newest offset already sent (or queued) for them are left out of it. Synchronous commits may rewind on
 *   purpose (`commit([{ ..., offset: lower }])` is how an application re-reads). Each partition's offsets
 *   record (partition-offsets.ts) keeps that floor and the confirmed offset, and decides.
 * - A commit that failed for a retriable reason (the coordinator moved or is loading) is retried against the
 *   new coordinator — but an asynchronous one only while no newer commit is queued, since the newer one
 *   carries newer offsets and retrying the old one after it would rewind.
 * - Asynchronous commits made while another one is still waiting for its turn are folded into it (none of it
 *   was sent yet), so committing after every batch costs one round trip per round trip, not one per batch.
 * - An asynchronous commit of a group member leaves out partitions whose offset the coordinator already
 *   confirmed from this consumer and that no other commit changed since: they count as committed without
 *   another log append. Synchronous commits always send every partition they name.
 * - A commit remembers the member identity it was made with. One that waited its turn while the member lost
 *   its membership, or while a rebalance took one of its partitions away, does not go out for those
 *   partitions: sent with the member's new generation it would be accepted (the coordinator checks the
 *   generation, not who owns a partition) and could overwrite what the partition's new owner committed since.
 *   Partitions the member owned throughout go out with its current generation.
 */

import type { RetryOptions } from '../../cluster/retry.ts'
import { CommitFailedError, IllegalStateError, KafkaError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import type { TopicPartition, TopicPartitionOffset } from '../../common/types.ts'
import { topicPartitionKey } from '../../common/types.ts'
import type { Connection } from '../../network/connection.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { OffsetCommit, type OffsetCommitResponse } from '../../protocol/messages/offset-commit.ts'
import { commitTopics } from '../../protocol/offsets-by-topic.ts'
import { versionCaps } from '../../protocol/version-caps.ts'
import type { GroupMetadata } from '../group/rebalance-listener.ts'
import type { CommitEvent, CommitReason } from './commit-options.ts'
import { COORDINATOR_RETRY_CODES, commitErrorFor } from './offset-commit-errors.ts'
import type { CommitMode, PartitionOffsets, PartitionOffsetsTable } from './partition-offsets.ts'

const ZERO_TOPIC_ID = '00000000-0000-0000-0000-000000000000'

/** The cluster as the commit manager uses it: requests to the group coordinator, with retries. */
export interface CoordinatorAccess {
  withCoordinator<T>(
    type: 'group',
    key: string,
    operation: (connection: Connection) => Promise<T>,
    overrides?: Partial<RetryOptions>,
  ): Promise<T>
}

export interface CommitManagerInit {
  cluster: CoordinatorAccess
  groupId: string
  /** The assigned partitions' offsets, where the floor of async commits and the confirmed offsets are kept. */
  offsets: PartitionOffsetsTable
  /** The member's current identity; generation -1 and an empty member id commit as a simple (assign-mode) consumer. */
  identity: () => GroupMetadata
  logger: Logger
  /** Told the outcome of every commit (the consumer's `onCommit` option). */
  onCommit?: ((event: CommitEvent) => void) | undefined
}

export type { CommitMode } from './partition-offsets.ts'

/** The part of a commit's result that concerns the partitions of `offsets`. */
function forPartitionsOf(
  offsets: readonly TopicPartitionOffset[],
  result: Promise<TopicPartitionOffset[]>,
): Promise<TopicPartitionOffset[]> {
  const mine = new Set(offsets.map((o) => topicPartitionKey(o.topic, o.partition)))
  return result.then((committed) =>
    committed.filter((o) => mine.has(topicPartitionKey(o.topic, o.partition))),
  )
}

/**
 * One partition's offset in a queued commit, with the offsets record of the assignment it was made in
 * (undefined for a partition that was not assigned, as in a simple consumer's commits).
 */
interface CommitEntry {
  offset: TopicPartitionOffset
  record: PartitionOffsets | undefined
}

/** An async commit waiting for its turn: who made it, its offsets by partition, and the promise of its result. */
interface WaitingCommit {
  made: GroupMetadata
  entries: Map<string, CommitEntry>
  result: Promise<TopicPartitionOffset[]>
}

/** Whether two identities are the same member in the same generation (or member epoch). */
function sameIdentity(a: GroupMetadata, b: GroupMetadata): boolean {
  return a.generationId === b.generationId && a.memberId === b.memberId
}

/** Sends OffsetCommit requests for one group, serialized. */
export class CommitManager {
  private readonly cluster: CoordinatorAccess
  private readonly groupId: string
  private readonly offsets: PartitionOffsetsTable
  private readonly identity: () => GroupMetadata
  private readonly logger: Logger
  private readonly onCommit: ((event: CommitEvent) => void) | undefined
  /** Resolves when every commit queued so far has settled. */
  private tail: Promise<unknown> = Promise.resolve()
  private sequence = 0
  private inFlight = 0
  /** The async commit queued behind the one in flight and not sent yet, which later async commits join. */
  private waitingAsync: WaitingCommit | undefined
  /** Settles after the result of the latest commit call, so results are delivered in call order. */
  private lastSettled: Promise<unknown> = Promise.resolve()

  constructor(init: CommitManagerInit) {
    this.cluster = init.cluster
    this.groupId = init.groupId
    this.offsets = init.offsets
    this.identity = init.identity
    this.logger = init.logger
    this.onCommit = init.onCommit
  }

  /** True while a commit is queued or in flight. */
  get busy(): boolean {
    return this.inFlight > 0
  }

  /** The offset the coordinator last confirmed for `tp` from this consumer, if any. */
  lastConfirmed(tp: TopicPartition): bigint | undefined {
    return this.offsets.get(tp.topic, tp.partition)?.confirmed
  }

  /**
   * Queues a commit of `offsets` and resolves with what was committed once the coordinator confirms it. In
   * `async` mode, partitions that would move backwards are dropped first (and the result omits them).
   * Rejects with CommitFailedError / RebalanceInProgressError / a BrokerError naming the partitions; partitions
   * of the same request that succeeded stay committed.
   */
  commit(
    offsets: readonly TopicPartitionOffset[],
    mode: CommitMode,
    reason: CommitReason = mode,
  ): Promise<TopicPartitionOffset[]> {
    const result = this.enqueue(offsets, mode)
    const onCommit = this.onCommit
    if (onCommit !== undefined) {
      const tell = (event: CommitEvent): void => {
        try {
          onCommit(event)
        } catch (error) {
          this.logger.error('onCommit callback threw', { error })
        }
      }
      result.then(
        (committed) => {
          if (committed.length > 0) tell({ reason, offsets: committed, error: null })
        },
        (error: unknown) => tell({ reason, offsets: [...offsets], error }),
      )
    }
    return result
  }

  private enqueue(
    offsets: readonly TopicPartitionOffset[],
    mode: CommitMode,
  ): Promise<TopicPartitionOffset[]> {
    const made = this.identity()
    // Each assigned partition's record decides whether an async commit of it would rewind a newer one.
    const entries: CommitEntry[] = []
    for (const offset of offsets) {
      const record = this.offsets.get(offset.topic, offset.partition)
      if (record === undefined || record.commitStarted(offset.offset, mode)) entries.push({ offset, record })
    }
    const toSend = entries.map((entry) => entry.offset)
    const waiting = this.waitingAsync
    if (mode === 'async' && waiting !== undefined && sameIdentity(waiting.made, made)) {
      // Nothing left to send (every offset would have rewound): settle after what is queued, with nothing.
      if (toSend.length === 0) return this.inCallOrder(this.tail.then(() => []))
      // An async commit is still waiting for its turn: nothing of it was sent, so these offsets (newer, or
      // for other partitions) join it instead of queueing another round trip. A consumer committing after
      // every batch thus sends one commit per round trip, not one per batch. This call's result is what the
      // joined commit committed for this call's partitions (a later call's newer offset supersedes its own).
      for (const entry of entries) {
        waiting.entries.set(topicPartitionKey(entry.offset.topic, entry.offset.partition), entry)
      }
      return this.inCallOrder(forPartitionsOf(toSend, waiting.result))
    }
    const sequence = ++this.sequence
    this.inFlight++
    let run: Promise<TopicPartitionOffset[]>
    if (mode === 'async') {
      const queued: WaitingCommit = {
        made,
        entries: new Map(entries.map((e) => [topicPartitionKey(e.offset.topic, e.offset.partition), e])),
        result: Promise.resolve([]),
      }
      this.waitingAsync = queued
      run = this.tail.then(() => {
        if (this.waitingAsync === queued) this.waitingAsync = undefined
        return this.send([...queued.entries.values()], made, mode, sequence)
      })
      queued.result = run
      // Later calls may join this commit; this call's result is about its own partitions only.
      run = forPartitionsOf(toSend, run)
    } else {
      // Nothing queued after a sync commit may be folded into an async commit queued before it: that would
      // send newer offsets ahead of the sync commit, which may legitimately rewind them.
      this.waitingAsync = undefined
      run = this.tail.then(() => this.send(entries, made, mode, sequence))
    }
    this.tail = run.catch(() => {}).finally(() => this.inFlight--)
    return this.inCallOrder(run)
  }

  /** `result`, settled no earlier than the result of every commit call made before this one. */
  private inCallOrder<T>(result: Promise<T>): Promise<T> {
    // `result` may reject before an earlier call settles; observe it now so that is not an unhandled
    // rejection (the caller still receives it, through `ordered`).
    result.catch(() => {})
    const ordered = this.lastSettled.then(() => result)
    this.lastSettled = ordered.catch(() => {})
    return ordered
  }

  /** Resolves once every commit queued before this call has settled (successfully or not). */
  async drain(): Promise<void> {
    await this.tail
  }

  /**
   * Sends the entries that the member may still commit (see {@link outlived}) under its current identity,
   * then rejects for the rest, if any, with CommitFailedError.
   */
  private async send(
    entries: readonly CommitEntry[],
    made: GroupMetadata,
    mode: CommitMode,
    sequence: number,
  ): Promise<TopicPartitionOffset[]> {
    const identity = this.identity()
    const refused = outlived(entries, made, identity)
    const kept = new Set(entries)
    for (const entry of refused) kept.delete(entry)
    const held: TopicPartitionOffset[] = []
    if (mode === 'async' && identity.generationId >= 0) {
      // A partition whose offset has not moved since its last confirmed commit is left out of an async
      // commit: writing the same offset again costs the coordinator a log append per partition and changes
      // nothing, and a consumer committing after every poll would otherwise rewrite every idle partition each
      // time. Only for group members: a member's offsets cannot expire while the group has members, whereas a
      // simple consumer's expire after `offsets.retention.minutes` unless they are committed again.
      for (const entry of kept) {
        const { offset, leaderEpoch, metadata } = entry.offset
        if (entry.record?.holds(offset, leaderEpoch, metadata) === true) {
          kept.delete(entry)
          held.push(entry.offset)
        }
      }
    }
    const offsets = [...kept].map((e) => e.offset)
    let sent: TopicPartitionOffset[] = []
    if (offsets.length > 0) {
      try {
        sent = await this.request(offsets, identity, mode, sequence)
      } catch (error) {
        for (const entry of kept) entry.record?.commitOutcomeUnknown()
        throw error
      }
    }
    // In the order the commit named them, as when all are sent.
    const done = new Set([...held, ...sent])
    const committed = held.length === 0 ? sent : entries.map((e) => e.offset).filter((o) => done.has(o))
    if (refused.length === 0) return committed
    // Nothing of them reached the log: a later async commit of a lower offset is not a rewind.
    for (const entry of refused) entry.record?.commitRefused()
    const partitions = refused.map(({ offset: { topic, partition } }) => ({ topic, partition }))
    const names = partitions.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')
    const error = new CommitFailedError(
      `commit for group "${this.groupId}", partitions ${names} was not sent: ` +
        (identity.generationId < 0
          ? 'this member lost its group membership'
          : 'a rebalance took the partitions from this member') +
        ' while the commit waited behind an earlier one, and sent now it could overwrite what their new owner ' +
        'committed. The records after the last successful commit will be read again.',
      partitions,
    )
    this.logger.debug('offset commit not sent', { groupId: this.groupId, error })
    throw error
  }

  private async request(
    offsets: TopicPartitionOffset[],
    identity: GroupMetadata,
    mode: CommitMode,
    sequence: number,
  ): Promise<TopicPartitionOffset[]> {
    const request = {
      groupId: this.groupId,
      generationIdOrMemberEpoch: identity.generationId,
      memberId: identity.memberId,
      groupInstanceId: identity.groupInstanceId,
      retentionTimeMs: -1n,
      topics: commitTopics(offsets).map((topic) => ({ ...topic, topicId: ZERO_TOPIC_ID })),
    }
    const response = await this.cluster.withCoordinator(
      'group',
      this.groupId,
      async (connection) => {
        const answer = await connection.request(OffsetCommit, request, {
          maxVersion: versionCaps.offsetCommit,
        })
        throwIfCoordinatorError(answer, connection.address)
        return { answer, broker: connection.address }
      },
      {
        // A newer commit carries newer offsets; retrying an older async one after it would rewind.
        isRetriable: (error) =>
          error instanceof KafkaError && error.retriable && (mode === 'sync' || sequence === this.sequence),
      },
    )
    return this.settle(offsets, response.answer, response.broker)
  }

  /** Records confirmed partitions and throws one error for the failed ones (grouped by code, worst first). */
  private settle(
    offsets: TopicPartitionOffset[],
    response: OffsetCommitResponse,
    broker: string,
  ): TopicPartitionOffset[] {
    const byKey = new Map(offsets.map((o) => [topicPartitionKey(o.topic, o.partition), o]))
    const failures = new Map<number, TopicPartition[]>()
    const committed: TopicPartitionOffset[] = []
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        const key = topicPartitionKey(topic.name, p.partitionIndex)
        const sent = byKey.get(key)
        if (sent === undefined) continue
        if (p.errorCode === ErrorCode.NONE) {
          this.offsets.getByKey(key)?.commitConfirmed(sent.offset, sent.leaderEpoch, sent.metadata)
          committed.push(sent)
        } else {
          const list = failures.get(p.errorCode) ?? []
          list.push({ topic: topic.name, partition: p.partitionIndex })
          failures.set(p.errorCode, list)
        }
      }
    }
    if (failures.size === 0) return committed
    // Nothing sent for a failed partition reached the log: forget it, so an async commit of a lower offset
    // than the failed one is not refused as a rewind.
    for (const partitions of failures.values()) {
      for (const tp of partitions) this.offsets.get(tp.topic, tp.partition)?.commitRefused()
    }
    const [code, partitions] = failures.entries().next().value as [number, TopicPartition[]]
    const error = commitErrorFor(code, partitions, { groupId: this.groupId, broker })
    this.logger.debug('offset commit failed', { groupId: this.groupId, error })
    throw error
  }
}

/**
 * The entries of a commit made under `made` that must not go out under `now`. While the identity is
 * unchanged the coordinator's generation check is enough. After it changed, a member that lost its
 * membership sends nothing (as a simple consumer's commit, the coordinator would accept it once the group is
 * empty), and a member that rejoined sends only partitions it owned all along (the same offsets record).
 */
function outlived(entries: readonly CommitEntry[], made: GroupMetadata, now: GroupMetadata): CommitEntry[] {
  if (sameIdentity(made, now)) return []
  if (made.generationId >= 0 && now.generationId < 0) return [...entries]
  return entries.filter((entry) => entry.record?.revoked === true)
}

/**
 * Coordinator-level codes arrive per partition in OffsetCommit; they concern the whole request, so they are
 * thrown for it and the coordinator retry loop handles them.
 */
function throwIfCoordinatorError(response: OffsetCommitResponse, broker: string): void {
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      if (COORDINATOR_RETRY_CODES.has(p.errorCode)) {
        throw errorForCode(p.errorCode, { broker, retriable: true }) as KafkaError
      }
    }
  }
}

/** Throws when the consumer has no group to commit to. */
export function requireGroupId(groupId: string | undefined, operation: string): string {
  if (groupId === undefined) {
    throw new IllegalStateError(
      `${operation} needs a consumer group: create the consumer with a groupId to commit or read committed offsets`,
    )
  }
  return groupId
}
