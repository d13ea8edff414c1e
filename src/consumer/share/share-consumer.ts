/**
 * The share consumer (KIP-932, "queues for Kafka"): many members read the same partitions, and the broker
 * hands each record to one of them at a time, under an acquisition lock, and tracks its acknowledgement.
 *
 * - `subscribe(topics)`, then `poll()` or `for await (const message of consumer)`;
 * - each delivered record is acknowledged with `message.ack()` (ACCEPT), `nack()` (RELEASE: delivered again,
 *   possibly elsewhere, with `deliveryCount` one higher) or `reject()` (REJECT: archived); `renew()` extends
 *   its lock. In `implicit` mode what the application did not acknowledge is accepted when it asks for more
 *   (the next poll, the iterator's next step, `commit()`, `close()`); in `explicit` mode asking for more
 *   before every delivered record is acknowledged throws {@link IllegalStateError}, as in the Java client;
 * - acknowledgements travel with the next ShareFetch to the record's broker, or in a ShareAcknowledge when no
 *   fetch is due; `commit()` sends them now and resolves with per-partition results, `commitAsync()` the same
 *   without waiting; every result also goes to the `onAcknowledgement` callback.
 *
 * Semantics are at-least-once: a record whose lock expires (a crashed or slow member) or whose acknowledgement
 * is lost is delivered again, and the broker archives a record once its delivery count reaches the group's
 * `share.delivery.count.limit`.
 */

import type { Cluster } from '../../cluster/cluster.ts'
import {
  ClosedError,
  ConfigError,
  IllegalStateError,
  type KafkaError,
  UnsupportedVersionError,
  WakeupError,
} from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import type { TopicPartition } from '../../common/types.ts'
import { validateTopicName } from '../../common/validate.ts'
import { type Deferred, deferred } from '../../network/deferred.ts'
import { type GroupCluster, groupClusterOf } from '../group/group-cluster.ts'
import { AcknowledgeType, PendingAcknowledgements, type SharePartition } from './acknowledgements.ts'
import { AcknowledgementError, type AcknowledgementResult } from './share-errors.ts'
import { type SentAcknowledgements, ShareFetcher } from './share-fetcher.ts'
import { ShareMembership } from './share-membership.ts'
import { ShareDeliveredMessage, type ShareMessage } from './share-message.ts'
import {
  type ResolvedShareConsumerOptions,
  resolveShareConsumerOptions,
  type ShareConsumerOptions,
} from './share-options.ts'
import type { AcquiredRecord } from './share-records.ts'

const DEFAULT_POLL_TIMEOUT_MS = 1000

export interface SharePollOptions {
  /** How long to wait when nothing is buffered, in ms. Default 1000. */
  timeoutMs?: number
  /** Aborting it makes a waiting poll throw {@link WakeupError}, as {@link ShareConsumer.wakeup} does. */
  signal?: AbortSignal
}

/** Called with the results of every acknowledgement request, whoever triggered it. */
export type AcknowledgementListener = (results: AcknowledgementResult[]) => void

/** Records of one partition from one response, handed out in order. */
interface BufferedRecords {
  nodeId: number
  target: SharePartition
  records: AcquiredRecord[]
  next: number
}

export class ShareConsumer {
  readonly options: ResolvedShareConsumerOptions
  private readonly logger: Logger
  private readonly groupCluster: GroupCluster
  private readonly membership: ShareMembership
  private readonly fetcher: ShareFetcher
  private readonly pending = new PendingAcknowledgements()
  private readonly buffer: BufferedRecords[] = []
  /** The records of the last delivery (a poll's, or the iterator's last one). */
  private delivered: ShareDeliveredMessage[] = []
  private readonly renewals = new Map<string, Deferred<void>>()
  private readonly listeners: AcknowledgementListener[] = []
  private readonly errors: KafkaError[] = []
  private changed: Deferred<void> = deferred<void>()
  private topics: string[] = []
  private assigned: SharePartition[] = []
  private wakeupPending = false
  /** Reads waiting for records; fetches go out only meanwhile. */
  private waiting = 0
  private closed = false
  private closing: Promise<void> | undefined

  constructor(cluster: Cluster, options: ShareConsumerOptions) {
    this.options = resolveShareConsumerOptions(options)
    this.logger = cluster.options.logger
    this.groupCluster = groupClusterOf(cluster)
    this.membership = new ShareMembership({
      cluster: this.groupCluster,
      groupId: this.options.groupId,
      rackId: this.options.clientRack ?? null,
      logger: this.logger,
      retryBackoffMs: this.options.retryBackoffMs,
      retryBackoffMaxMs: this.options.retryBackoffMaxMs,
      onAssignment: (partitions) => this.onAssignment(partitions),
    })
    this.fetcher = new ShareFetcher({
      cluster,
      groupId: this.options.groupId,
      memberId: this.membership.memberId,
      options: this.options,
      requestTimeoutMs: cluster.options.requestTimeoutMs,
      logger: this.logger,
      acknowledgements: this.pending,
      hasBuffered: (nodeId) => this.buffer.some((entry) => entry.nodeId === nodeId),
      wantsRecords: () => this.waiting > 0,
      onRecords: (nodeId, target, data) => {
        this.buffer.push({ nodeId, target, records: data.records, next: 0 })
        this.signal()
      },
      onAcknowledged: (results) => this.onAcknowledged(results),
      onError: (error) => {
        this.errors.push(error)
        this.signal()
      },
    })
  }

  /** This member's id in the share group (a UUID it chose, kept for its lifetime). */
  get memberId(): string {
    return this.membership.memberId
  }

  /**
   * How long an acquired record stays locked to this member, in ms, as the broker last reported it (the
   * group's `share.record.lock.duration.ms`); 0 before the first fetch. Renew well within it.
   */
  get acquisitionLockTimeoutMs(): number {
    return this.fetcher.lockTimeoutMs
  }

  /** Joins the share group for `topics` (names; share groups take no patterns), replacing any earlier list. */
  subscribe(topics: readonly string[]): void {
    this.throwIfClosed()
    if (!Array.isArray(topics) || topics.length === 0) {
      throw new ConfigError('subscribe.topics', 'expected a non-empty array of topic names')
    }
    this.topics = [...new Set(topics.map((topic, i) => validateTopicName(`subscribe.topics[${i}]`, topic)))]
    this.membership.subscribe(this.topics)
  }

  /**
   * Leaves the share group until the next `subscribe()`: settles the last delivery as `poll()` would (implicit
   * mode accepts it), sends the waiting acknowledgements, then leaves; records fetched but not delivered go
   * back to the group with the closed share sessions.
   */
  async unsubscribe(): Promise<void> {
    this.throwIfClosed()
    this.settleDelivery()
    await this.fetcher.flush()
    this.topics = []
    await this.membership.unsubscribe()
    this.buffer.length = 0
  }

  /** The subscribed topics. */
  subscription(): string[] {
    return [...this.topics]
  }

  /** The partitions the share group coordinator assigned to this member now (other members may share them). */
  assignment(): TopicPartition[] {
    return this.assigned.map(({ topic, partition }) => ({ topic, partition }))
  }

  /** Registers a callback for every acknowledgement result (Java's AcknowledgementCommitCallback). */
  onAcknowledgement(listener: AcknowledgementListener): void {
    this.listeners.push(listener)
  }

  /**
   * Up to `maxPollRecords` records. First settles the previous delivery (accepting what was not acknowledged
   * in implicit mode; throwing {@link IllegalStateError} in explicit mode if something was not). Waits up to
   * `timeoutMs` when nothing is buffered, then resolves with an empty array.
   */
  async poll(options: SharePollOptions = {}): Promise<ShareMessage[]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new ConfigError('poll.timeoutMs', `expected a number >= 0, got ${String(timeoutMs)}`)
    }
    this.throwIfClosed()
    this.settleDelivery()
    const messages = await this.take(this.options.maxPollRecords, timeoutMs, options.signal)
    this.delivered = messages
    return messages
  }

  /** Iterates records one at a time until the consumer closes; each step settles the previous record. */
  [Symbol.asyncIterator](): AsyncIterator<ShareMessage> {
    return this.iterator(undefined)
  }

  /** The records as an async iterable with a signal: aborting it makes the waiting `next()` throw WakeupError. */
  messages(options: { signal?: AbortSignal } = {}): AsyncIterable<ShareMessage> {
    return { [Symbol.asyncIterator]: () => this.iterator(options.signal) }
  }

  /** Acknowledges `message` as `kind` (the same as `message.ack()`, `nack()`, `reject()`). */
  acknowledge(message: ShareMessage, kind: 'accept' | 'release' | 'reject' = 'accept'): void {
    if (!(message instanceof ShareDeliveredMessage)) {
      throw new IllegalStateError('acknowledge() takes a message this share consumer delivered')
    }
    this.record(message, kind)
  }

  /**
   * Sends every acknowledgement made so far (in implicit mode accepting the rest of the last delivery first;
   * in explicit mode only what was acknowledged) and resolves with the per-partition results once the brokers answered. Failed acknowledgements are
   * results with an {@link AcknowledgementError}, not a rejection.
   */
  async commit(): Promise<AcknowledgementResult[]> {
    this.throwIfClosed()
    // Explicit mode sends what was acknowledged; the rest of the delivery stays open (the next poll checks it).
    if (this.options.acknowledgement === 'implicit') {
      this.acceptRest(this.delivered)
      this.delivered = []
    }
    const results: AcknowledgementResult[] = []
    const collect: AcknowledgementListener = (batch) => results.push(...batch)
    this.listeners.push(collect)
    try {
      await this.fetcher.flush()
    } finally {
      this.listeners.splice(this.listeners.indexOf(collect), 1)
    }
    return results
  }

  /** {@link commit} without waiting: `callback` (if given) gets the results or the error. */
  commitAsync(callback?: (error: Error | null, results: AcknowledgementResult[]) => void): void {
    this.commit().then(
      (results) => callback?.(null, results),
      (error: unknown) => {
        if (callback !== undefined) callback(error as Error, [])
        else this.logger.warn('commitAsync failed', { error })
      },
    )
  }

  /** Makes a waiting (or the next) poll or iterator step throw {@link WakeupError}. */
  wakeup(): void {
    this.wakeupPending = true
    this.signal()
  }

  /**
   * Settles the last delivery (implicit mode accepts it), sends the waiting acknowledgements while closing
   * each broker's share session (which releases records fetched but never delivered), and leaves the group.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  // ---------------------------------------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    if (this.options.acknowledgement === 'implicit') this.acceptRest(this.delivered)
    this.delivered = []
    this.closed = true
    this.signal()
    try {
      await this.fetcher.close()
      await this.membership.close()
    } finally {
      for (const waiter of this.renewals.values()) waiter.reject(new ClosedError('the share consumer closed'))
      this.renewals.clear()
      await this.groupCluster.close()
    }
  }

  private iterator(signal: AbortSignal | undefined): AsyncIterator<ShareMessage> {
    return {
      next: async (): Promise<IteratorResult<ShareMessage>> => {
        if (this.closed) return { done: true, value: undefined }
        this.settleDelivery()
        for (;;) {
          const [message] = await this.take(1, DEFAULT_POLL_TIMEOUT_MS, signal)
          if (message !== undefined) {
            this.delivered = [message]
            return { done: false, value: message }
          }
          if (this.closed) return { done: true, value: undefined }
        }
      },
      return: async (): Promise<IteratorResult<ShareMessage>> => ({ done: true, value: undefined }),
    }
  }

  /** Up to `max` buffered records, waiting up to `timeoutMs` for some to arrive. */
  private async take(
    max: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ShareDeliveredMessage[]> {
    const deadline = performance.now() + timeoutMs
    this.throwIfInterrupted(signal)
    const buffered = this.takeBuffered(max)
    if (buffered.length > 0) return buffered
    this.waiting++
    try {
      this.fetcher.pump()
      for (;;) {
        const remaining = deadline - performance.now()
        if (remaining <= 0 || this.closed) return []
        await this.waitForChange(remaining, signal)
        this.throwIfInterrupted(signal)
        const messages = this.takeBuffered(max)
        if (messages.length > 0) return messages
      }
    } finally {
      this.waiting--
    }
  }

  private takeBuffered(max: number): ShareDeliveredMessage[] {
    const messages: ShareDeliveredMessage[] = []
    while (messages.length < max && this.buffer.length > 0) {
      const entry = this.buffer[0]!
      while (messages.length < max && entry.next < entry.records.length) {
        const record = entry.records[entry.next++]!
        messages.push(new ShareDeliveredMessage(record, entry.target, entry.nodeId, this.sink))
      }
      if (entry.next >= entry.records.length) this.buffer.shift()
    }
    return messages
  }

  private readonly sink = {
    acknowledge: (message: ShareDeliveredMessage, kind: 'accept' | 'release' | 'reject') =>
      this.record(message, kind),
    renew: (message: ShareDeliveredMessage) => this.renew(message),
  }

  private record(message: ShareDeliveredMessage, kind: 'accept' | 'release' | 'reject'): void {
    if (message.acknowledgement !== undefined) {
      throw new IllegalStateError(
        `${message.topic}-${message.partition} offset ${message.offset} was already acknowledged (${message.acknowledgement})`,
      )
    }
    if (this.closed) throw new IllegalStateError('the share consumer is closed')
    // A renewal still waiting to be sent is replaced by this acknowledgement: its caller has its answer.
    if (this.pending.typeAt(message.nodeId, message.target, message.offset) === AcknowledgeType.renew) {
      const key = renewalKey(message.nodeId, message.target, message.offset)
      this.renewals.get(key)?.resolve()
      this.renewals.delete(key)
    }
    message.acknowledgement = kind
    this.pending.add(message.nodeId, message.target, message.offset, AcknowledgeType[kind])
  }

  private async renew(message: ShareDeliveredMessage): Promise<void> {
    if (message.acknowledgement !== undefined) {
      throw new IllegalStateError(
        `${message.topic}-${message.partition} offset ${message.offset} was already acknowledged; only an unacknowledged record can be renewed`,
      )
    }
    this.throwIfClosed()
    if (!(await this.fetcher.supportsRenew(message.nodeId))) {
      throw new UnsupportedVersionError(
        `broker ${message.nodeId} does not support renewing acquisition locks (ShareAcknowledge v2, KIP-1222, Kafka 4.2+)`,
        'ShareAcknowledge',
      )
    }
    const key = renewalKey(message.nodeId, message.target, message.offset)
    let waiter = this.renewals.get(key)
    if (waiter === undefined) {
      waiter = deferred<void>()
      this.renewals.set(key, waiter)
      this.pending.add(message.nodeId, message.target, message.offset, AcknowledgeType.renew)
    }
    this.fetcher.pump()
    return waiter.promise
  }

  private settleDelivery(): void {
    const delivered = this.delivered
    if (this.options.acknowledgement === 'explicit') {
      const open = delivered.filter((message) => message.acknowledgement === undefined)
      if (open.length > 0) {
        const first = open[0]!
        throw new IllegalStateError(
          `explicit acknowledgement: ${open.length} delivered record(s) were not acknowledged (first: ` +
            `${first.topic}-${first.partition} offset ${first.offset}); ack(), nack() or reject() each before asking for more`,
        )
      }
    } else {
      this.acceptRest(delivered)
    }
    this.delivered = []
  }

  private acceptRest(messages: readonly ShareDeliveredMessage[]): void {
    for (const message of messages) if (message.acknowledgement === undefined) this.record(message, 'accept')
  }

  private onAssignment(partitions: SharePartition[]): void {
    this.assigned = partitions
    this.fetcher.setAssignment(partitions)
    const failure = this.membership.takeFailure()
    if (failure !== undefined) this.errors.push(failure)
    this.signal()
  }

  private onAcknowledged(sent: SentAcknowledgements[]): void {
    const results: AcknowledgementResult[] = []
    for (const { acks, error } of sent) {
      this.settleRenewals(acks.target, acks.offsetsOf(AcknowledgeType.renew), error)
      const offsets = acks.offsets().filter((offset) => {
        const type = acks.typeAt(offset)
        return type !== AcknowledgeType.gap && type !== AcknowledgeType.renew
      })
      if (offsets.length === 0) continue
      results.push({
        topic: acks.target.topic,
        partition: acks.target.partition,
        offsets,
        error:
          error === null
            ? null
            : error.offsets.length === offsets.length
              ? error
              : new AcknowledgementError(acks.target.topic, acks.target.partition, offsets, error),
      })
    }
    if (results.length === 0) return
    for (const listener of [...this.listeners]) {
      try {
        listener(results)
      } catch (listenerError) {
        this.logger.warn('an acknowledgement listener threw', { error: listenerError })
      }
    }
  }

  private settleRenewals(
    target: SharePartition,
    offsets: bigint[],
    error: AcknowledgementError | null,
  ): void {
    for (const offset of offsets) {
      for (const [key, waiter] of this.renewals) {
        if (!key.endsWith(`|${target.topicId}|${target.partition}|${offset}`)) continue
        this.renewals.delete(key)
        if (error === null) waiter.resolve()
        else waiter.reject(new AcknowledgementError(target.topic, target.partition, [offset], error))
      }
    }
  }

  private signal(): void {
    const changed = this.changed
    this.changed = deferred<void>()
    changed.resolve()
  }

  private async waitForChange(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    let onAbort: (() => void) | undefined
    try {
      await Promise.race([
        this.changed.promise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs)
        }),
        new Promise<void>((resolve) => {
          if (signal === undefined) return
          onAbort = resolve
          signal.addEventListener('abort', onAbort, { once: true })
        }),
      ])
    } finally {
      clearTimeout(timer)
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
    }
  }

  private throwIfInterrupted(signal: AbortSignal | undefined): void {
    if (this.wakeupPending || signal?.aborted === true) {
      this.wakeupPending = false
      throw new WakeupError()
    }
    const error = this.errors.shift()
    if (error !== undefined) throw error
  }

  private throwIfClosed(): void {
    if (this.closed) throw new IllegalStateError('the share consumer is closed')
  }
}

function renewalKey(nodeId: number, target: SharePartition, offset: bigint): string {
  return `${nodeId}|${target.topicId}|${target.partition}|${offset}`
}
