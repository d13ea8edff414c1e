/**
 * Talks ShareFetch and ShareAcknowledge to the leaders of the assigned partitions, one share session per
 * broker, one request in flight per broker (requests of a session must reach it in epoch order).
 *
 * What each broker gets next, when its previous request was answered:
 * - a ShareFetch for its assigned partitions, carrying the acknowledgements waiting for it, while the
 *   application waits for records and the records of the broker's previous response were all handed out.
 *   Nothing is fetched ahead of the application, as in the Java client: an acquired record waiting in a
 *   buffer burns its acquisition lock, and if it expires there the record's delivery count goes up although
 *   nobody saw it (a member that stopped polling would push records towards the delivery-count limit);
 * - otherwise a ShareAcknowledge with the waiting acknowledgements if some request must go (the broker has
 *   no assigned partition left, or records of it are still buffered); and always when a `commit()` or a
 *   RENEW waits (a ShareFetch long-polls for up to `fetchMaxWaitMs`, and one that renews fetches nothing);
 * - on close, a ShareAcknowledge with epoch -1 carrying the last acknowledgements, which closes the session
 *   (the broker then releases every record this member still holds there).
 *
 * A new session (epoch 0) cannot carry acknowledgements; they wait for the request after it. Acknowledgements
 * whose request failed are reported as failed and not sent again: whether the broker applied them is unknown,
 * and a record whose acknowledgement is lost comes back when its lock expires, which at-least-once allows.
 */

import { backoffDelay } from '../../cluster/backoff.ts'
import type { Cluster } from '../../cluster/cluster.ts'
import { ConnectionError, KafkaError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { isStaleMetadataCode } from '../../protocol/errors/stale-metadata.ts'
import { ShareAcknowledge } from '../../protocol/messages/share-acknowledge.ts'
import { type PartitionData, ShareFetch } from '../../protocol/messages/share-fetch.ts'
import { decodeRecordBatches } from '../../protocol/records/batch-decoder.ts'
import { partitionInfo } from '../consumer-cluster.ts'
import {
  AcknowledgeType,
  type PartitionAcknowledgements,
  type PendingAcknowledgements,
  partitionKey,
  type SharePartition,
} from './acknowledgements.ts'
import { AcknowledgementError } from './share-errors.ts'
import type { ResolvedShareConsumerOptions } from './share-options.ts'
import { type AcquiredPartitionData, acquiredRecords } from './share-records.ts'
import { FINAL_EPOCH, ShareSession } from './share-session.ts'

/** One partition's acknowledgements in one request, and what the broker said about them. */
export interface SentAcknowledgements {
  acks: PartitionAcknowledgements
  error: AcknowledgementError | null
}

export interface ShareFetcherInit {
  cluster: Pick<Cluster, 'currentMetadata' | 'refreshMetadata' | 'connectionTo'>
  groupId: string
  memberId: string
  options: ResolvedShareConsumerOptions
  requestTimeoutMs: number
  logger: Logger
  acknowledgements: PendingAcknowledgements
  /** True while records fetched from `nodeId` wait in the consumer's buffer. */
  hasBuffered(nodeId: number): boolean
  /** True while the application waits for records (a poll or an iterator step). */
  wantsRecords(): boolean
  /** Acquired records arrived (gaps are already acknowledged). */
  onRecords(nodeId: number, target: SharePartition, data: AcquiredPartitionData): void
  /** Acknowledgements were answered (or failed). */
  onAcknowledged(results: SentAcknowledgements[]): void
  /** An error the application must hear about (an authorization failure, say). */
  onError(error: KafkaError): void
}

interface BrokerState {
  readonly session: ShareSession
  /** The request in flight, if any. */
  busy: Promise<void> | undefined
  /** Whether that request carries acknowledgements. */
  carriesAcks: boolean
  /** performance.now() before which no request goes to this broker (after a failure). */
  retryAt: number
  failures: number
}

export class ShareFetcher {
  private readonly init: ShareFetcherInit
  private readonly brokers = new Map<number, BrokerState>()
  private assignment: SharePartition[] = []
  /** While > 0, waiting acknowledgements go out at once in ShareAcknowledge requests (commit, close). */
  private flushing = 0
  private stopped = false
  private retryTimer: NodeJS.Timeout | undefined
  private metadataRefresh: Promise<unknown> | undefined
  /** The acquisition lock duration the brokers last reported, 0 before the first answer. */
  lockTimeoutMs = 0

  constructor(init: ShareFetcherInit) {
    this.init = init
  }

  /** The partitions to fetch from, as the group coordinator assigned them. */
  setAssignment(partitions: readonly SharePartition[]): void {
    this.assignment = [...partitions]
    this.pump()
  }

  /** Sends whatever is due to every broker that has nothing in flight. Returns at once. */
  pump(): void {
    const wantedByNode = this.stopped ? new Map<number, SharePartition[]>() : this.leaders()
    const nodes = new Set<number>([
      ...wantedByNode.keys(),
      ...this.init.acknowledgements.nodes(),
      ...[...this.brokers].filter(([, state]) => state.session.size > 0).map(([nodeId]) => nodeId),
    ])
    const now = performance.now()
    let nextRetry = Number.POSITIVE_INFINITY
    for (const nodeId of nodes) {
      const state = this.broker(nodeId)
      if (state.busy !== undefined) continue
      if (state.retryAt > now) {
        nextRetry = Math.min(nextRetry, state.retryAt)
        continue
      }
      this.sendNext(nodeId, state, wantedByNode.get(nodeId) ?? [])
    }
    if (nextRetry !== Number.POSITIVE_INFINITY) {
      clearTimeout(this.retryTimer)
      this.retryTimer = setTimeout(() => this.pump(), Math.max(0, nextRetry - now))
    }
  }

  /**
   * Sends every waiting acknowledgement now and resolves once the broker answered them all, along with those
   * already on the wire (results go to `onAcknowledged` as always).
   */
  async flush(): Promise<void> {
    this.flushing++
    try {
      for (;;) {
        this.pump()
        const busy = [...this.brokers.values()].filter((state) => state.busy !== undefined)
        const carrying = busy.filter((state) => state.carriesAcks)
        if (carrying.length === 0 && this.init.acknowledgements.isEmpty) return
        if (busy.length === 0) {
          // Waiting acknowledgements but no request could go (a broker backing off): try again shortly.
          await new Promise((resolve) => setTimeout(resolve, this.init.options.retryBackoffMs))
          continue
        }
        await Promise.race(busy.map((state) => state.busy))
      }
    } finally {
      this.flushing--
    }
  }

  /**
   * Stops fetching, sends the last acknowledgements with a request that closes each broker's session, and
   * resolves when they were answered.
   */
  async close(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    await Promise.all([...this.brokers.values()].map((state) => state.busy))
    const closing: Promise<void>[] = []
    for (const [nodeId, state] of this.brokers) {
      const acks = this.init.acknowledgements.take(nodeId)
      if (state.session.isOpen) {
        state.session.closing()
        closing.push(this.acknowledge(nodeId, state, acks, false))
      } else if (acks.length > 0) {
        this.failAcks(acks, new KafkaError(`no share session with broker ${nodeId} to acknowledge in`, -1))
      }
    }
    await Promise.all(closing)
  }

  /** Asks whether broker `nodeId` speaks a version of ShareAcknowledge with RENEW (v2, KIP-1222). */
  async supportsRenew(nodeId: number): Promise<boolean> {
    const connection = await this.init.cluster.connectionTo(nodeId)
    return connection.supports(ShareAcknowledge, 2)
  }

  // ---------------------------------------------------------------------------------------------------------

  private broker(nodeId: number): BrokerState {
    let state = this.brokers.get(nodeId)
    if (state === undefined) {
      state = { session: new ShareSession(), busy: undefined, carriesAcks: false, retryAt: 0, failures: 0 }
      this.brokers.set(nodeId, state)
    }
    return state
  }

  private sendNext(nodeId: number, state: BrokerState, wanted: SharePartition[]): void {
    const pending = this.init.acknowledgements
    const hasAcks = pending.has(nodeId)
    // Asked before take() empties it; a renewing request fetches nothing, so it is a ShareAcknowledge.
    const renew = pending.hasRenew(nodeId)
    // Acknowledgements for a partition no longer fetched from here (the assignment changed) go in a
    // ShareAcknowledge, not in a ShareFetch that would both name the partition and forget it.
    const stray = hasAcks && pending.hasOutside(nodeId, new Set(wanted.map(partitionKey)))
    const urgent = hasAcks && (this.flushing > 0 || renew || stray)
    if (hasAcks && state.session.isOpen && (urgent || wanted.length === 0 || this.init.hasBuffered(nodeId))) {
      this.run(nodeId, state, true, this.acknowledge(nodeId, state, pending.take(nodeId), renew))
      return
    }
    if (wanted.length > 0 && !this.init.hasBuffered(nodeId) && this.init.wantsRecords()) {
      // A new session cannot carry acknowledgements: they go with the next request.
      const acks = state.session.isOpen ? pending.take(nodeId) : []
      this.run(nodeId, state, acks.length > 0, this.fetch(nodeId, state, wanted, acks))
      return
    }
    if (hasAcks && !state.session.isOpen) {
      // The session the records were acquired in is gone (a session error or a broken connection, after
      // which the broker releases what the session held) and no fetch will open a new one now: these
      // acknowledgements cannot be sent. The records go back to the group and are delivered again.
      this.failAcks(
        pending.take(nodeId),
        new KafkaError(
          `the share session with broker ${nodeId} ended before these acknowledgements could be sent; the records are delivered again`,
          -1,
          { broker: `node ${nodeId}` },
        ),
      )
      return
    }
    if (wanted.length === 0 && state.session.isOpen && !this.stopped) {
      // Nothing to fetch from this broker any more: close its session, releasing what it still holds.
      state.session.closing()
      this.run(nodeId, state, false, this.acknowledge(nodeId, state, [], false))
    }
  }

  private run(nodeId: number, state: BrokerState, carriesAcks: boolean, request: Promise<void>): void {
    state.carriesAcks = carriesAcks
    state.busy = request
      .catch((error: unknown) => {
        this.init.logger.warn('share fetch request failed', { broker: nodeId, error })
      })
      .finally(() => {
        state.busy = undefined
        state.carriesAcks = false
        if (!this.stopped) this.pump()
      })
  }

  /** The assigned partitions by the broker leading them; starts a metadata refresh for unknown leaders. */
  private leaders(): Map<number, SharePartition[]> {
    const snapshot = this.init.cluster.currentMetadata
    const byNode = new Map<number, SharePartition[]>()
    let unknown = false
    for (const tp of this.assignment) {
      const leader = partitionInfo(snapshot, tp.topic, tp.partition)?.leaderId ?? -1
      if (leader < 0) {
        unknown = true
        continue
      }
      const list = byNode.get(leader) ?? []
      list.push(tp)
      byNode.set(leader, list)
    }
    if (unknown) this.refreshMetadata()
    return byNode
  }

  private refreshMetadata(): void {
    if (this.metadataRefresh !== undefined) return
    const topics = [...new Set(this.assignment.map((tp) => tp.topic))]
    this.metadataRefresh = this.init.cluster
      .refreshMetadata(topics)
      .catch((error: unknown) => this.init.logger.warn('metadata refresh failed', { error }))
      .finally(() => {
        this.metadataRefresh = undefined
        if (!this.stopped) setTimeout(() => this.pump(), this.init.options.retryBackoffMs)
      })
  }

  private async fetch(
    nodeId: number,
    state: BrokerState,
    wanted: SharePartition[],
    acks: PartitionAcknowledgements[],
  ): Promise<void> {
    const { options } = this.init
    const changes = state.session.nextFetch(wanted)
    const topics = requestTopics([...changes.added, ...acks.map((entry) => entry.target)], acks)
    const forgotten = requestTopics(changes.forgotten, [])
    let response: Awaited<ReturnType<typeof this.requestFetch>>
    try {
      response = await this.requestFetch(nodeId, {
        groupId: this.init.groupId,
        memberId: this.init.memberId,
        shareSessionEpoch: changes.epoch,
        maxWaitMs: options.fetchMaxWaitMs,
        minBytes: options.fetchMinBytes,
        maxBytes: options.fetchMaxBytes,
        maxRecords: options.maxPollRecords,
        batchSize: options.maxPollRecords,
        shareAcquireMode: options.acquireMode === 'record-limit' ? 1 : 0,
        isRenewAck: false,
        topics: topics.map(({ topicId, partitions }) => ({
          topicId,
          partitions: partitions.map((p) => ({
            partitionIndex: p.partition,
            partitionMaxBytes: 0,
            acknowledgementBatches: p.acks?.toBatches() ?? [],
          })),
        })),
        forgottenTopicsData: forgotten.map(({ topicId, partitions }) => ({
          topicId,
          partitions: partitions.map((p) => p.partition),
        })),
      })
    } catch (error) {
      this.requestFailed(nodeId, state, acks, error)
      return
    }
    const broker = `node ${nodeId}`
    if (response.acquisitionLockTimeoutMs > 0) this.lockTimeoutMs = response.acquisitionLockTimeoutMs
    if (!this.sessionAnswered(nodeId, state, response.errorCode, response.errorMessage, acks)) return
    const byKey = new Map<string, SharePartition>()
    for (const tp of [...wanted, ...acks.map((entry) => entry.target)])
      byKey.set(`${tp.topicId}:${tp.partition}`, tp)
    const answered = new Set<string>()
    let failed = false
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const target = byKey.get(`${topic.topicId}:${data.partitionIndex}`)
        if (target === undefined) continue
        answered.add(partitionKey(target))
        const entry = acks.find((candidate) => partitionKey(candidate.target) === partitionKey(target))
        if (entry !== undefined) {
          this.init.onAcknowledged([
            {
              acks: entry,
              error: AcknowledgementError.fromCode(
                target.topic,
                target.partition,
                listed(entry),
                data.acknowledgeErrorCode,
                {
                  errorMessage: data.acknowledgeErrorMessage,
                  broker,
                },
              ),
            },
          ])
        }
        if (!(await this.handlePartitionData(nodeId, target, data))) failed = true
      }
    }
    // A partition error (a moved leader, say) is answered at once; without a pause the next fetch would be too.
    if (failed) this.backOff(state)
    this.unanswered(acks, answered, broker)
  }

  private requestFetch(nodeId: number, request: Parameters<typeof ShareFetch.encodeRequest>[2]) {
    return this.init.cluster.connectionTo(nodeId).then((connection) =>
      connection.request(ShareFetch, request, {
        timeoutMs: this.init.requestTimeoutMs + this.init.options.fetchMaxWaitMs,
      }),
    )
  }

  /** Hands a partition's records over; false when the partition answered with an error. */
  private async handlePartitionData(
    nodeId: number,
    target: SharePartition,
    data: PartitionData,
  ): Promise<boolean> {
    if (data.errorCode !== ErrorCode.NONE) {
      const error = errorForCode(data.errorCode, {
        errorMessage: data.errorMessage,
        topic: target.topic,
        partition: target.partition,
        broker: `node ${nodeId}`,
      })!
      if (isStaleMetadataCode(data.errorCode)) {
        this.init.logger.info('share fetch: partition moved; refreshing metadata', { error })
        this.refreshMetadata()
      } else if (error.retriable) {
        this.init.logger.warn('share fetch: partition error', { error })
      } else {
        this.init.onError(error)
      }
      return false
    }
    if (data.acquiredRecords.length === 0 || data.records === null || data.records.length === 0) return true
    let decoded: AcquiredPartitionData
    try {
      const { batches } = await decodeRecordBatches(data.records, {
        topic: target.topic,
        partition: target.partition,
      })
      decoded = acquiredRecords(target.topic, target.partition, batches, data.acquiredRecords)
    } catch (error) {
      // Records that cannot be decoded can never be processed: reject them so they do not come back forever.
      for (const range of data.acquiredRecords) {
        for (let offset = range.firstOffset; offset <= range.lastOffset; offset++) {
          this.init.acknowledgements.add(nodeId, target, offset, AcknowledgeType.reject)
        }
      }
      this.init.onError(
        error instanceof KafkaError ? error : new KafkaError(String(error), -1, { cause: error }),
      )
      return false
    }
    for (const offset of decoded.gaps)
      this.init.acknowledgements.add(nodeId, target, offset, AcknowledgeType.gap)
    if (decoded.records.length > 0) this.init.onRecords(nodeId, target, decoded)
    return true
  }

  private async acknowledge(
    nodeId: number,
    state: BrokerState,
    acks: PartitionAcknowledgements[],
    renew: boolean,
  ): Promise<void> {
    const closing = state.session.epoch === FINAL_EPOCH
    try {
      await this.sendAcknowledge(nodeId, state, acks, renew)
    } finally {
      // A closed session, or one whose close failed, is gone either way: the next request opens a new one.
      if (closing) state.session.reset()
    }
  }

  private async sendAcknowledge(
    nodeId: number,
    state: BrokerState,
    acks: PartitionAcknowledgements[],
    renew: boolean,
  ): Promise<void> {
    const epoch = state.session.epoch
    const topics = requestTopics(
      acks.map((entry) => entry.target),
      acks,
    )
    let response: Awaited<ReturnType<typeof this.requestAcknowledge>>
    try {
      response = await this.requestAcknowledge(nodeId, {
        groupId: this.init.groupId,
        memberId: this.init.memberId,
        shareSessionEpoch: epoch,
        isRenewAck: renew,
        topics: topics.map(({ topicId, partitions }) => ({
          topicId,
          partitions: partitions.map((p) => ({
            partitionIndex: p.partition,
            acknowledgementBatches: p.acks?.toBatches() ?? [],
          })),
        })),
      })
    } catch (error) {
      this.requestFailed(nodeId, state, acks, error)
      return
    }
    const broker = `node ${nodeId}`
    if (response.acquisitionLockTimeoutMs > 0) this.lockTimeoutMs = response.acquisitionLockTimeoutMs
    if (!this.sessionAnswered(nodeId, state, response.errorCode, response.errorMessage, acks)) return
    const answered = new Set<string>()
    const results: SentAcknowledgements[] = []
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const entry = acks.find(
          (candidate) =>
            candidate.target.topicId === topic.topicId && candidate.target.partition === data.partitionIndex,
        )
        if (entry === undefined) continue
        answered.add(partitionKey(entry.target))
        const { topic: name, partition } = entry.target
        results.push({
          acks: entry,
          error: AcknowledgementError.fromCode(name, partition, listed(entry), data.errorCode, {
            errorMessage: data.errorMessage,
            broker,
          }),
        })
        if (isStaleMetadataCode(data.errorCode)) this.refreshMetadata()
      }
    }
    if (results.length > 0) this.init.onAcknowledged(results)
    this.unanswered(acks, answered, broker)
  }

  private requestAcknowledge(nodeId: number, request: Parameters<typeof ShareAcknowledge.encodeRequest>[2]) {
    return this.init.cluster
      .connectionTo(nodeId)
      .then((connection) => connection.request(ShareAcknowledge, request))
  }

  /**
   * Handles the response-level error code; true when the response's partitions are to be read. Session
   * errors start a new session; any error fails the acknowledgements the request carried.
   */
  private sessionAnswered(
    nodeId: number,
    state: BrokerState,
    code: number,
    errorMessage: string | null,
    acks: PartitionAcknowledgements[],
  ): boolean {
    if (code === ErrorCode.NONE) {
      state.session.advance()
      state.failures = 0
      return true
    }
    const error = errorForCode(code, { errorMessage, broker: `node ${nodeId}` })!
    if (code === ErrorCode.SHARE_SESSION_NOT_FOUND || code === ErrorCode.INVALID_SHARE_SESSION_EPOCH) {
      this.init.logger.info('share session lost; opening a new one', { broker: nodeId, error })
      state.session.reset()
    } else {
      state.session.advance()
      this.backOff(state)
      if (!error.retriable) this.init.onError(error)
      else this.init.logger.warn('share fetch failed', { broker: nodeId, error })
    }
    this.failAcks(acks, error)
    return false
  }

  private requestFailed(
    nodeId: number,
    state: BrokerState,
    acks: PartitionAcknowledgements[],
    error: unknown,
  ): void {
    // The broker may or may not have seen the request: the session's epoch is in doubt.
    state.session.reset()
    this.backOff(state)
    const failure =
      error instanceof KafkaError
        ? error
        : new ConnectionError(`share request to node ${nodeId} failed: ${String(error)}`, { cause: error })
    if (!(failure instanceof ConnectionError) && !failure.retriable) this.init.onError(failure)
    else this.init.logger.warn('share request failed', { broker: nodeId, error: failure })
    this.failAcks(acks, failure)
  }

  private backOff(state: BrokerState): void {
    const { retryBackoffMs, retryBackoffMaxMs } = this.init.options
    state.retryAt = performance.now() + backoffDelay(state.failures++, retryBackoffMs, retryBackoffMaxMs)
  }

  private failAcks(acks: PartitionAcknowledgements[], cause: KafkaError): void {
    if (acks.length === 0) return
    this.init.onAcknowledged(
      acks.map((entry) => ({
        acks: entry,
        error: new AcknowledgementError(entry.target.topic, entry.target.partition, listed(entry), cause),
      })),
    )
  }

  /** Acknowledged partitions the response did not mention: the outcome is unknown, so they count as failed. */
  private unanswered(acks: PartitionAcknowledgements[], answered: Set<string>, broker: string): void {
    const missing = acks.filter((entry) => !answered.has(partitionKey(entry.target)))
    this.failAcks(
      missing,
      new KafkaError(`${broker} did not answer for these acknowledgements`, -1, { broker }),
    )
  }
}

/** The offsets an acknowledgement result lists: the records', not the gaps'. */
function listed(entry: PartitionAcknowledgements): bigint[] {
  return entry.offsets().filter((offset) => entry.typeAt(offset) !== AcknowledgeType.gap)
}

interface RequestTopic {
  topicId: string
  partitions: Array<{ partition: number; acks: PartitionAcknowledgements | undefined }>
}

/** Groups partitions by topic id, each once, with its acknowledgements when it has some. */
function requestTopics(
  partitions: readonly SharePartition[],
  acks: readonly PartitionAcknowledgements[],
): RequestTopic[] {
  const ackByKey = new Map(acks.map((entry) => [partitionKey(entry.target), entry]))
  const byTopic = new Map<string, RequestTopic>()
  const seen = new Set<string>()
  for (const tp of partitions) {
    const key = partitionKey(tp)
    if (seen.has(key)) continue
    seen.add(key)
    let topic = byTopic.get(tp.topicId)
    if (topic === undefined) {
      topic = { topicId: tp.topicId, partitions: [] }
      byTopic.set(tp.topicId, topic)
    }
    topic.partitions.push({ partition: tp.partition, acks: ackByKey.get(key) })
  }
  return [...byTopic.values()]
}
