/**
 * Fetches records ahead of the application.
 *
 * One Fetch request per leader broker carries all of that broker's fetchable partitions, and at most one is in
 * flight per broker (as in the Java client). The fetcher does not wait for the application: as soon as a
 * response is buffered it asks again from where that response ended, so the next batch is usually on its
 * way while the application processes the current one. What bounds this is `maxBufferedBytes`: buffered
 * data plus the `maxBytes` of every fetch in flight never exceed it, apart from a single batch larger than
 * the request allowed (which the broker must return whole so consumption can progress, KIP-74). The bound is
 * small by default (4 MiB, about what the Java client holds with one completed fetch per partition): data
 * read far ahead of the application is data the garbage collector keeps tracing and copying while it waits.
 *
 * Full fetches only (session id 0, epoch -1): every request lists its partitions. Fetch sessions (KIP-227)
 * would save the repeated partition list on wide assignments; with the handful of partitions per broker of
 * a typical consumer the difference is small, and full fetches cannot go out of sync with the broker.
 *
 * Topic ids: Fetch v13+ names topics by id. The ids come from the cluster metadata; when a topic in a
 * request has no id (metadata from an old broker), that request is capped at v12, which names topics.
 */

import { ZERO_TOPIC_ID } from '../cluster/metadata.ts'
import { ConnectionError, KafkaError, OffsetOutOfRangeError, TimeoutError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import { errorForCode, errorName } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { isStaleMetadataCode } from '../protocol/errors/stale-metadata.ts'
import { Fetch, type FetchTopic, type PartitionData } from '../protocol/messages/fetch.ts'
import { decodeRecordBatches } from '../protocol/records/batch-decoder.ts'
import { firstVersions, versionCaps } from '../protocol/version-caps.ts'
import { CompletedFetch } from './completed-fetch.ts'
import { type FetchCluster, partitionInfo } from './consumer-cluster.ts'
import type { ResolvedConsumerOptions } from './consumer-options.ts'
import type { FetchBuffer } from './fetch-buffer.ts'
import { handleDivergingEpoch } from './offsets/position-validator.ts'
import type { PartitionState, SubscriptionState } from './subscription-state.ts'

/** A partition's entry in a fetch being sent: its state, and what was asked for it. */
interface FetchTarget {
  state: PartitionState
  generation: number
  fetchOffset: bigint
}

export interface FetcherEvents {
  /** A partition failed in a way the application must hear about (poll/iterator throw it). */
  onError(error: KafkaError): void
  /**
   * Partitions were sent back to `awaiting-reset` (offset out of range) or `awaiting-validation` (a diverging
   * epoch without an end offset); the consumer runs the lookups.
   */
  onResetNeeded(): void
}

export class Fetcher {
  private readonly cluster: FetchCluster
  private readonly subscriptions: SubscriptionState
  private readonly buffer: FetchBuffer<CompletedFetch>
  private readonly options: ResolvedConsumerOptions
  private readonly events: FetcherEvents
  private readonly logger: Logger
  /** Brokers with a fetch in flight. */
  private readonly inFlight = new Set<number>()
  /** `maxBytes` of the fetches in flight, held against `maxBufferedBytes`. */
  private reservedBytes = 0
  /** Rotates which partition goes first, so a partition the broker skips for size is first next time. */
  private rotation = 0
  private metadataRefresh: Promise<unknown> | undefined = undefined
  private closed = false

  constructor(
    cluster: FetchCluster,
    subscriptions: SubscriptionState,
    buffer: FetchBuffer<CompletedFetch>,
    options: ResolvedConsumerOptions,
    events: FetcherEvents,
  ) {
    this.cluster = cluster
    this.subscriptions = subscriptions
    this.buffer = buffer
    this.options = options
    this.events = events
    this.logger = cluster.options.logger
  }

  /** True while some fetch is on the wire. */
  get busy(): boolean {
    return this.inFlight.size > 0
  }

  close(): void {
    this.closed = true
  }

  /**
   * Sends a fetch to every leader that has fetchable partitions and no fetch in flight, within the byte
   * budget. Returns at once; responses land in the buffer.
   */
  sendFetches(): void {
    if (this.closed) return
    const budget = this.options.maxBufferedBytes - this.buffer.bufferedBytes - this.reservedBytes
    if (budget <= 0) return
    const byLeader = this.fetchablePartitionsByLeader()
    // Each leader gets an even share of the read-ahead, so the first broker to answer cannot take all of it
    // and leave the others idle until the application has drained its data.
    const share = Math.max(
      Math.floor(this.options.maxBufferedBytes / (byLeader.size + this.inFlight.size)),
      Math.min(this.options.maxPartitionFetchBytes, this.options.maxBufferedBytes),
    )
    let remaining = budget
    for (const [leaderId, targets] of byLeader) {
      if (remaining <= 0) break
      const maxBytes = Math.min(this.options.fetchMaxBytes, remaining, share)
      remaining -= maxBytes
      void this.fetchFrom(leaderId, targets, maxBytes)
    }
  }

  private fetchablePartitionsByLeader(): Map<number, PartitionState[]> {
    const byLeader = new Map<number, PartitionState[]>()
    const snapshot = this.cluster.currentMetadata
    const now = performance.now()
    let missingLeader = false
    const states = [...this.subscriptions.states()]
    const count = states.length
    const start = count === 0 ? 0 : this.rotation++ % count
    for (let i = 0; i < count; i++) {
      const state = states[(start + i) % count] as PartitionState
      if (!state.isFetchable || state.fetchInFlight || state.retryAt > now) continue
      const info = partitionInfo(snapshot, state.topic, state.partition)
      if (info === undefined || info.leaderId < 0) {
        missingLeader = true
        continue
      }
      if (this.inFlight.has(info.leaderId)) continue
      const list = byLeader.get(info.leaderId)
      if (list === undefined) byLeader.set(info.leaderId, [state])
      else list.push(state)
    }
    if (missingLeader) this.refreshMetadata()
    return byLeader
  }

  private async fetchFrom(leaderId: number, states: PartitionState[], maxBytes: number): Promise<void> {
    const snapshot = this.cluster.currentMetadata
    const targets: FetchTarget[] = []
    const topics = new Map<string, FetchTopic>()
    const namesById = new Map<string, string>()
    let allTopicsHaveIds = true
    for (const state of states) {
      const fetchOffset = state.fetchOffset as bigint
      targets.push({ state, generation: state.generation, fetchOffset })
      let topic = topics.get(state.topic)
      if (topic === undefined) {
        const topicId = snapshot.topics.get(state.topic)?.topicId ?? ZERO_TOPIC_ID
        if (topicId === ZERO_TOPIC_ID) allTopicsHaveIds = false
        else namesById.set(topicId, state.topic)
        topic = { topic: state.topic, topicId, partitions: [] }
        topics.set(state.topic, topic)
      }
      topic.partitions.push({
        partition: state.partition,
        currentLeaderEpoch: partitionInfo(snapshot, state.topic, state.partition)?.leaderEpoch ?? -1,
        fetchOffset,
        // The leader compares this with its own log and answers with a diverging epoch if they part (KIP-320).
        lastFetchedEpoch: state.fetchEpoch ?? -1,
        logStartOffset: -1n,
        partitionMaxBytes: this.options.maxPartitionFetchBytes,
        replicaDirectoryId: ZERO_TOPIC_ID,
        highWatermark: 0x7fffffffffffffffn,
      })
      state.fetchInFlight = true
    }
    this.inFlight.add(leaderId)
    this.reservedBytes += maxBytes
    try {
      const connection = await this.cluster.connectionTo(leaderId)
      if (!connection.supports(Fetch, firstVersions.fetchWithLastFetchedEpoch)) {
        // A broker before 2.7 has no field for it; such a broker reports truncation as FENCED_LEADER_EPOCH only.
        for (const topic of topics.values()) {
          for (const partition of topic.partitions) partition.lastFetchedEpoch = -1
        }
      }
      const response = await connection.request(
        Fetch,
        {
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: this.options.fetchMaxWaitMs,
          minBytes: this.options.fetchMinBytes,
          maxBytes,
          isolationLevel: this.options.isolationLevel === 'read_committed' ? 1 : 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...topics.values()],
          forgottenTopicsData: [],
          rackId: this.options.clientRack ?? '',
        },
        {
          ...(allTopicsHaveIds ? {} : { maxVersion: versionCaps.fetchByTopicName }),
          // The broker may hold the request for maxWaitMs before answering; that is not a timeout.
          timeoutMs: this.cluster.options.requestTimeoutMs + this.options.fetchMaxWaitMs,
        },
      )
      if (this.closed) return
      const topLevel = errorForCode(response.errorCode, { broker: connection.address })
      if (topLevel !== null) throw topLevel
      const byKey = new Map<string, FetchTarget>()
      for (const target of targets) byKey.set(target.state.key, target)
      const decoding: Promise<void>[] = []
      for (const topicResponse of response.responses) {
        const name = topicResponse.topic !== '' ? topicResponse.topic : namesById.get(topicResponse.topicId)
        if (name === undefined) continue
        for (const partition of topicResponse.partitions) {
          const target = byKey.get(`${name}:${partition.partitionIndex}`)
          if (target === undefined) continue
          decoding.push(this.handlePartition(target, partition, connection.address))
        }
      }
      await Promise.all(decoding)
    } catch (error) {
      if (this.closed) return
      const failure =
        error instanceof KafkaError ? error : new KafkaError(String(error), -1, { cause: error })
      const retryAt = performance.now() + this.options.retryBackoffMs
      for (const target of targets) target.state.retryAt = retryAt
      if (failure instanceof ConnectionError || failure instanceof TimeoutError || failure.retriable) {
        this.logger.debug('fetch failed; retrying after a metadata refresh', {
          broker: leaderId,
          error: failure,
        })
        this.refreshMetadata()
      } else {
        this.events.onError(failure)
      }
    } finally {
      for (const target of targets) target.state.fetchInFlight = false
      this.inFlight.delete(leaderId)
      this.reservedBytes -= maxBytes
      // Keep the pipeline full: the partitions of this response can be fetched again right away.
      this.sendFetches()
      this.buffer.wakeup()
    }
  }

  private async handlePartition(target: FetchTarget, data: PartitionData, broker: string): Promise<void> {
    const { state } = target
    // A seek, reset or reassignment since the request was sent makes the answer irrelevant.
    if (state.generation !== target.generation || state.fetchOffset !== target.fetchOffset) return
    const code = data.errorCode
    if (code === ErrorCode.NONE) {
      state.highWatermark = data.highWatermark
      if (data.lastStableOffset >= 0n) state.lastStableOffset = data.lastStableOffset
      if (data.logStartOffset >= 0n) state.logStartOffset = data.logStartOffset
      if (data.divergingEpoch.epoch >= 0) {
        const divergence = { logger: this.logger, report: (error: KafkaError) => this.events.onError(error) }
        if (handleDivergingEpoch(state, data.divergingEpoch, this.subscriptions, divergence)) {
          this.events.onResetNeeded()
        }
        return
      }
      const records = data.records
      if (records === null || records.length === 0) return
      let batches: Awaited<ReturnType<typeof decodeRecordBatches>>
      try {
        batches = await decodeRecordBatches(records, { topic: state.topic, partition: state.partition })
      } catch (error) {
        state.retryAt = performance.now() + this.options.retryBackoffMs
        this.events.onError(
          error instanceof KafkaError ? error : new KafkaError(String(error), -1, { cause: error }),
        )
        return
      }
      if (state.generation !== target.generation) return
      const fetch = new CompletedFetch({
        state,
        generation: target.generation,
        fetchOffset: target.fetchOffset,
        batches: batches.batches,
        abortedTransactions: data.abortedTransactions,
        readCommitted: this.options.isolationLevel === 'read_committed',
        sizeBytes: records.length,
      })
      if (fetch.nextFetchOffset === target.fetchOffset) {
        // Only a partial batch arrived: the response ran out of room (another partition filled it). The
        // rotation puts this partition first next time, where the broker must return a whole batch.
        return
      }
      state.offsets.fetched(fetch.nextFetchOffset, fetch.lastEpoch)
      this.buffer.add(fetch)
      return
    }
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      this.handleOutOfRange(state, target.fetchOffset, broker)
      return
    }
    state.retryAt = performance.now() + this.options.retryBackoffMs
    if (code === ErrorCode.FENCED_LEADER_EPOCH) {
      // Our leader epoch is older than the broker's: refresh, then check the position against the new leader.
      this.subscriptions.requestValidation(state)
      this.refreshMetadata()
      return
    }
    if (isStaleMetadataCode(code)) {
      this.logger.debug('fetch partition error; refreshing metadata', {
        topic: state.topic,
        partition: state.partition,
        error: errorName(code),
      })
      this.refreshMetadata()
      return
    }
    const error = errorForCode(code, { topic: state.topic, partition: state.partition, broker })
    if (error !== null) this.events.onError(error)
  }

  /**
   * The position left the log (retention deleted it, or a seek went past the end). Reset it per
   * autoOffsetReset; with `none`, report it and keep the position, so the application decides by seeking.
   */
  private handleOutOfRange(state: PartitionState, offset: bigint, broker: string): void {
    if (this.subscriptions.autoOffsetReset === 'none') {
      // Fetching again raises this again (as the Java client does), until the application seeks.
      state.retryAt = performance.now() + this.options.retryBackoffMs
      this.events.onError(
        new OffsetOutOfRangeError(
          `Offset ${offset} is out of range for partition ${state.topic}-${state.partition}` +
            ` (log ${state.logStartOffset ?? '?'}..${state.highWatermark ?? '?'}) and autoOffsetReset is 'none'; ` +
            'seek() to a valid offset (or seekToBeginning/seekToEnd) to continue',
          { topic: state.topic, partition: state.partition, offset, broker },
        ),
      )
      return
    }
    this.logger.info('fetch offset out of range; resetting', {
      topic: state.topic,
      partition: state.partition,
      offset,
      strategy: this.subscriptions.autoOffsetReset,
    })
    this.subscriptions.requestReset(state)
    this.events.onResetNeeded()
  }

  private refreshMetadata(): void {
    if (this.metadataRefresh !== undefined || this.closed) return
    const topics = [...new Set([...this.subscriptions.states()].map((s) => s.topic))]
    this.metadataRefresh = this.cluster
      .refreshMetadata(topics)
      .catch((error: unknown) => this.logger.warn('metadata refresh failed', { error }))
      .finally(() => {
        this.metadataRefresh = undefined
        this.sendFetches()
      })
  }
}
