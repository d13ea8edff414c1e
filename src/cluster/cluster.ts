/**
 * The client's view of a Kafka cluster, shared by the producer, consumer and admin of one client: which
 * brokers exist, which one leads each partition, which one coordinates each group, and one pooled
 * connection to each broker.
 *
 * Metadata is fetched for the topics the client has asked about (never "all topics", which is costly on
 * large clusters and which the admin client requests itself), refreshed when older than
 * `metadataMaxAgeMs` or when an error says it is stale, and concurrent refreshes share one request.
 */

import {
  AuthenticationError,
  BrokerError,
  ClosedError,
  ConnectionError,
  KafkaError,
  TimeoutError,
} from '../common/errors.ts'
import { validatePartition, validateTopicName } from '../common/validate.ts'
import type { Connection } from '../network/connection.ts'
import type { BrokerEndpoint } from '../network/socket-factory.ts'
import type { ThrottleMetrics } from '../network/throttle.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { isStaleMetadataCode } from '../protocol/errors/stale-metadata.ts'
import { Metadata, type MetadataResponse } from '../protocol/messages/metadata.ts'
import { BrokerPool } from './broker-pool.ts'
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from './client-options.ts'
import { type CoordinatorType, findCoordinator, isCoordinatorMovedError } from './coordinator.ts'
import {
  type BrokerInfo,
  MetadataSnapshot,
  type PartitionInfo,
  type TopicInfo,
  ZERO_TOPIC_ID,
} from './metadata.ts'
import { type RetryOptions, retry } from './retry.ts'

/** True when retrying `error` should be preceded by a metadata refresh. */
export function isStaleMetadataError(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true
  return error instanceof KafkaError && isStaleMetadataCode(error.code)
}

export class Cluster {
  readonly options: ResolvedClientOptions
  private readonly pool: BrokerPool
  private snapshot = MetadataSnapshot.empty()
  /** Topics whose metadata every refresh fetches, so each snapshot is complete for them. */
  private readonly trackedTopics = new Set<string>()
  private inFlightRefresh: { promise: Promise<MetadataSnapshot>; topics: ReadonlySet<string> } | null = null
  private queuedRefresh: Promise<MetadataSnapshot> | null = null
  private readonly coordinators = new Map<string, BrokerInfo>()
  private readonly coordinatorLookups = new Map<string, Promise<BrokerInfo>>()
  private closed = false

  /** Takes options already resolved with {@link resolveClientOptions}; see {@link Cluster.create}. */
  constructor(options: ResolvedClientOptions) {
    this.options = options
    this.pool = new BrokerPool(options)
  }

  /**
   * How much brokers have throttled this client (KIP-219 quotas), summed over all its connections. Requests
   * are held back for each reported throttle time; see {@link Connection}.
   */
  get throttleMetrics(): ThrottleMetrics {
    return this.pool.throttleMetrics
  }

  /** Validates `options` and creates a cluster. Nothing is contacted until first use (or {@link connect}). */
  static create(options: ClientOptions): Cluster {
    return new Cluster(resolveClientOptions(options))
  }

  /** Fetches the first metadata, so configuration and reachability problems surface now. Optional. */
  async connect(): Promise<void> {
    await this.metadata()
  }

  /** The latest snapshot, without any I/O; empty before the first fetch. */
  get currentMetadata(): MetadataSnapshot {
    return this.snapshot
  }

  /** The latest snapshot, refreshed first if it is older than `metadataMaxAgeMs` (or there is none yet). */
  metadata(): Promise<MetadataSnapshot> {
    const snapshot = this.snapshot
    if (snapshot.fetchedAt > 0 && snapshot.ageMs() < this.options.metadataMaxAgeMs && !this.closed) {
      return Promise.resolve(snapshot)
    }
    return this.refreshMetadata()
  }

  /**
   * Fetches fresh metadata for `topics` and every topic asked about before. Concurrent calls share one
   * request when it covers their topics; otherwise they share the one request queued after it.
   */
  refreshMetadata(topics: readonly string[] = []): Promise<MetadataSnapshot> {
    if (this.closed) return Promise.reject(new ClosedError('the client was closed'))
    for (const topic of topics) this.trackedTopics.add(validateTopicName('topic', topic))
    const inFlight = this.inFlightRefresh
    if (inFlight === null) return this.startRefresh()
    if (topics.every((topic) => inFlight.topics.has(topic))) return inFlight.promise
    this.queuedRefresh ??= inFlight.promise
      .catch(() => undefined)
      .then(() => {
        this.queuedRefresh = null
        return this.inFlightRefresh?.promise ?? this.startRefresh()
      })
    return this.queuedRefresh
  }

  /** The name of the topic with id `topicId`, if the current metadata has it. */
  topicName(topicId: string): string | undefined {
    return this.snapshot.topicName(topicId)
  }

  /** The id of `topic`, waiting (boundedly) for a just-created topic to appear. */
  async topicId(topic: string): Promise<string> {
    const info = await this.topic(topic)
    return info.topicId
  }

  /** A topic's metadata. Unknown topics are looked for with the retry budget, then fail clearly. */
  async topic(topic: string): Promise<TopicInfo> {
    validateTopicName('topic', topic)
    const snapshot = await this.metadata()
    const known = this.trackedTopics.has(topic) ? snapshot.topics.get(topic) : undefined
    return known ?? this.waitForTopic(topic)
  }

  /** The partitions of `topic`, indexed by partition number. */
  async partitionsFor(topic: string): Promise<readonly PartitionInfo[]> {
    return (await this.topic(topic)).partitions
  }

  /** One partition's metadata, with a leader (waiting out an election within the retry budget). */
  async partition(topic: string, partition: number): Promise<PartitionInfo> {
    validatePartition('partition', partition)
    let info = (await this.topic(topic)).partitions[partition]
    if (info === undefined) {
      // Partitions may have been added since the last refresh.
      info = (await this.refreshMetadata([topic])).topics.get(topic)?.partitions[partition]
    }
    if (info === undefined) {
      const count = this.snapshot.topics.get(topic)?.partitions.length ?? 0
      throw new BrokerError(
        `Topic "${topic}" has ${count} partitions (0-${count - 1}); partition ${partition} does not exist`,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        'UNKNOWN_TOPIC_OR_PARTITION',
        { topic, partition, retriable: false },
      )
    }
    if (info.leaderId >= 0) return info
    return this.retryRaw(async () => {
      const fresh = (await this.refreshMetadata([topic])).topics.get(topic)?.partitions[partition]
      if (fresh !== undefined && fresh.leaderId >= 0) return fresh
      throw errorForCode(fresh?.errorCode || ErrorCode.LEADER_NOT_AVAILABLE, { topic, partition })!
    })
  }

  /** Node id of the leader of `topic`/`partition`. */
  async leaderFor(topic: string, partition: number): Promise<number> {
    return (await this.partition(topic, partition)).leaderId
  }

  /** The connection to the leader of `topic`/`partition`. */
  async leaderConnection(topic: string, partition: number): Promise<Connection> {
    return this.connectionTo(await this.leaderFor(topic, partition))
  }

  /**
   * The pooled, ready connection to broker `nodeId`, opened on first use and reopened (after a backoff)
   * when broken. Rejects with ConnectionError if the broker cannot be reached.
   */
  async connectionTo(nodeId: number): Promise<Connection> {
    this.throwIfClosed()
    const ready = this.pool.readyConnection(nodeId)
    if (ready !== undefined) return ready
    if (!this.pool.knows(nodeId)) await this.refreshMetadata()
    return this.pool.connectionTo(nodeId)
  }

  /**
   * A connection of its own to `broker`, outside the pool and not yet connected, configured like the pooled
   * ones. For requests that may park on the broker for long (a JoinGroup waits out the rebalance), which
   * would hold up everything queued behind them on a shared connection. The caller connects and closes it.
   */
  dedicatedConnection(broker: BrokerInfo): Connection {
    return this.pool.newConnection({ host: broker.host, port: broker.port }, broker.nodeId)
  }

  /**
   * A ready connection to some broker, for requests any broker can answer (Metadata, FindCoordinator,
   * CreateTopics...): the least loaded open one, else a new one to a broker not backing off.
   */
  async anyConnection(): Promise<Connection> {
    const snapshot = await this.metadata()
    return this.anyNodeConnection(snapshot)
  }

  /** The connection to the broker the metadata names as controller (any broker if none is named). */
  async controllerConnection(): Promise<Connection> {
    const snapshot = await this.metadata()
    if (snapshot.controllerId >= 0 && snapshot.brokers.has(snapshot.controllerId)) {
      return this.connectionTo(snapshot.controllerId)
    }
    return this.anyNodeConnection(snapshot)
  }

  /**
   * The broker coordinating `key` (a group id or transactional id), found with FindCoordinator and cached
   * until {@link forgetCoordinator} (which {@link withCoordinator} calls when an error says it moved).
   * Concurrent lookups of one key share one request.
   */
  coordinatorFor(type: CoordinatorType, key: string): Promise<BrokerInfo> {
    this.throwIfClosed()
    const cacheKey = `${type}:${key}`
    const cached = this.coordinators.get(cacheKey)
    if (cached !== undefined) return Promise.resolve(cached)
    let lookup = this.coordinatorLookups.get(cacheKey)
    if (lookup === undefined) {
      lookup = this.retry(async () => findCoordinator(await this.anyConnection(), type, key))
        .then((coordinator) => {
          this.pool.setAddress(coordinator.nodeId, coordinator)
          this.coordinators.set(cacheKey, coordinator)
          return coordinator
        })
        .finally(() => this.coordinatorLookups.delete(cacheKey))
      this.coordinatorLookups.set(cacheKey, lookup)
    }
    return lookup
  }

  /** Drops the cached coordinator of `key`, so the next use looks it up again. */
  forgetCoordinator(type: CoordinatorType, key: string): void {
    this.coordinators.delete(`${type}:${key}`)
  }

  /** The connection to the coordinator of `key`; forgets the coordinator if it cannot be reached. */
  async coordinatorConnection(type: CoordinatorType, key: string): Promise<Connection> {
    const coordinator = await this.coordinatorFor(type, key)
    try {
      return await this.pool.connectionTo(coordinator.nodeId)
    } catch (error) {
      this.forgetCoordinator(type, key)
      throw error
    }
  }

  /**
   * Runs `operation` against the coordinator of `key`, with retries. When the operation fails with
   * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a connection error, the coordinator is looked up again
   * before the retry. `operation` must throw KafkaErrors for error codes in the response (errorForCode).
   */
  withCoordinator<T>(
    type: CoordinatorType,
    key: string,
    operation: (connection: Connection) => Promise<T>,
    overrides: Partial<RetryOptions> = {},
  ): Promise<T> {
    return this.retry(async () => {
      const connection = await this.coordinatorConnection(type, key)
      try {
        return await operation(connection)
      } catch (error) {
        if (isCoordinatorMovedError(error)) this.forgetCoordinator(type, key)
        throw error
      }
    }, overrides)
  }

  /**
   * Runs `operation` with the client's retry policy (`retries`, `retryBackoffMs`, `retryBackoffMaxMs`),
   * refreshing metadata before a retry when the error says it is stale. `overrides` replace parts of the
   * policy; an `onRetriable` in them runs after the refresh.
   */
  retry<T>(operation: (attempt: number) => Promise<T>, overrides: Partial<RetryOptions> = {}): Promise<T> {
    const { onRetriable, ...policy } = overrides
    return retry(operation, {
      retries: this.options.retries,
      backoffMs: this.options.retryBackoffMs,
      backoffMaxMs: this.options.retryBackoffMaxMs,
      ...policy,
      onRetriable: async (error, nextAttempt) => {
        this.options.logger.debug('retrying', { error, attempt: nextAttempt })
        if (isStaleMetadataError(error)) await this.refreshQuietly()
        await onRetriable?.(error, nextAttempt)
      },
    })
  }

  /** Closes every connection (letting sent requests finish). Afterwards every method fails with ClosedError. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.close()
  }

  // -- metadata fetching -----------------------------------------------------------------------------

  private startRefresh(): Promise<MetadataSnapshot> {
    const topics = new Set(this.trackedTopics)
    const promise = this.retryRaw((attempt) => this.fetchMetadata([...topics], attempt)).finally(() => {
      if (this.inFlightRefresh?.promise === promise) this.inFlightRefresh = null
    })
    this.inFlightRefresh = { promise, topics }
    return promise
  }

  private async fetchMetadata(topics: string[], attempt: number): Promise<MetadataSnapshot> {
    const request = {
      topics: topics.map((name) => ({ topicId: ZERO_TOPIC_ID, name })),
      // samsa never creates topics as a side effect of asking about them.
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }
    let connection: Connection | null = null
    if (this.snapshot.brokers.size > 0) {
      try {
        connection = await this.anyNodeConnection(this.snapshot)
      } catch (error) {
        this.options.logger.warn('no known broker reachable; trying the bootstrap addresses again', { error })
      }
    }
    let response: MetadataResponse
    if (connection !== null) {
      response = await connection.request(Metadata, request)
    } else {
      const bootstrap = await this.bootstrapConnection(attempt)
      try {
        response = await bootstrap.request(Metadata, request)
      } finally {
        // The bootstrap address is usually one of the brokers under another name; requests from now on go
        // to the advertised addresses, so this connection has done its job.
        void bootstrap.close()
      }
    }
    this.throwIfClosed()
    const error = errorForCode(response.errorCode, { broker: connection?.address })
    if (error !== null) throw error
    const snapshot = MetadataSnapshot.fromResponse(response, performance.now())
    for (const broker of snapshot.brokers.values()) this.pool.setAddress(broker.nodeId, broker)
    this.snapshot = snapshot
    return snapshot
  }

  /** Tries each bootstrap address once, in an order rotated per attempt so no address is always first. */
  private async bootstrapConnection(attempt: number): Promise<Connection> {
    const endpoints = this.options.bootstrap
    const failures: string[] = []
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[(attempt + i) % endpoints.length]!
      try {
        return await this.pool.openUnpooled(endpoint)
      } catch (error) {
        // Credentials or certificates another broker of the same cluster would refuse just the same.
        if (error instanceof ClosedError || error instanceof AuthenticationError) throw error
        failures.push(
          `${formatEndpoint(endpoint)} (${error instanceof Error ? error.message : String(error)})`,
        )
      }
    }
    const total = this.options.retries + 1
    throw new ConnectionError(
      `Could not reach any bootstrap broker (attempt ${attempt + 1} of ${total}): ${failures.join('; ')}. ` +
        'Check that `bootstrap` lists host:port of running brokers, that the port is their PLAINTEXT listener, ' +
        'and that no firewall blocks it.',
      { broker: endpoints.map(formatEndpoint).join(',') },
    )
  }

  private async anyNodeConnection(snapshot: MetadataSnapshot): Promise<Connection> {
    this.throwIfClosed()
    for (const nodeId of this.pool.readyNodesByLoad()) {
      if (snapshot.brokers.has(nodeId)) return this.pool.readyConnection(nodeId)!
    }
    // Random order spreads clients over the cluster; nodes backing off go last.
    const now = performance.now()
    const candidates = [...snapshot.brokers.keys()]
      .map((nodeId) => ({ nodeId, order: Math.random() + (this.pool.isBackingOff(nodeId, now) ? 1 : 0) }))
      .sort((a, b) => a.order - b.order)
    const failures: string[] = []
    for (const { nodeId } of candidates) {
      try {
        return await this.pool.connectionTo(nodeId)
      } catch (error) {
        if (error instanceof ClosedError) throw error
        failures.push(`node ${nodeId} (${error instanceof Error ? error.message : String(error)})`)
      }
    }
    throw new ConnectionError(`Could not connect to any broker of the cluster: ${failures.join('; ')}`)
  }

  private async waitForTopic(topic: string): Promise<TopicInfo> {
    const started = performance.now()
    try {
      return await this.retryRaw(async () => {
        const snapshot = await this.refreshMetadata([topic])
        const info = snapshot.topics.get(topic)
        if (info !== undefined && info.partitions.length > 0) return info
        throw errorForCode(snapshot.topicErrors.get(topic) || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, {
          topic,
        })!
      })
    } catch (error) {
      this.trackedTopics.delete(topic)
      if (error instanceof BrokerError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        const waited = Math.round(performance.now() - started)
        throw new BrokerError(
          `Topic "${topic}" does not exist: still unknown to the cluster after ${this.options.retries + 1} ` +
            `metadata requests over ${waited} ms. Create it first (samsa never asks brokers to auto-create topics).`,
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          'UNKNOWN_TOPIC_OR_PARTITION',
          { topic, retriable: false, cause: error },
        )
      }
      throw error
    }
  }

  /** The retry policy without the metadata refresh, for the metadata code itself. */
  private retryRaw<T>(operation: (attempt: number) => Promise<T>): Promise<T> {
    return retry(operation, {
      retries: this.options.retries,
      backoffMs: this.options.retryBackoffMs,
      backoffMaxMs: this.options.retryBackoffMaxMs,
      isRetriable: (error) => !this.closed && error instanceof KafkaError && error.retriable,
    })
  }

  private async refreshQuietly(): Promise<void> {
    try {
      await this.refreshMetadata()
    } catch (error) {
      // The retried operation fails again on its own if the cluster is still unreachable.
      this.options.logger.warn('metadata refresh before retry failed', { error })
    }
  }

  private throwIfClosed(): void {
    if (this.closed) throw new ClosedError('the client was closed')
  }
}

function formatEndpoint(endpoint: BrokerEndpoint): string {
  return endpoint.host.includes(':')
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`
}
