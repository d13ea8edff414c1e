/**
 * Everything the nodes of one in-process cluster share: the topics and their logs, the clock, the node
 * addresses and the cluster's settings. Handlers read it through the request context.
 */

import { BrokerClock } from './broker-clock.ts'
import { ConsumerGroups } from './consumer-groups.ts'
import { GroupCoordinator } from './group-coordinator.ts'
import { type PartitionState, TopicStore } from './topic-store.ts'
import { TransactionCoordinator } from './transactions.ts'

/** Fetch and ListOffsets isolation level 1. */
const READ_COMMITTED = 1

export interface NodeAddress {
  readonly nodeId: number
  readonly host: string
  port: number
}

export interface ClusterSettings {
  /** Create a topic the first time Metadata or Produce names it (Kafka's `auto.create.topics.enable`). */
  readonly autoCreateTopics: boolean
  /** Partitions of an auto-created topic, and of CreateTopics asking for -1 (Kafka's `num.partitions`). */
  readonly defaultPartitions: number
  /** Largest request frame accepted; a larger size prefix closes the connection (`socket.request.max.bytes`). */
  readonly maxRequestBytes: number
  /**
   * The finalized `transaction.version` feature ApiVersions reports: 2 (KIP-890, Kafka 4's default) or 1,
   * which tells clients to use AddPartitionsToTxn and keep their epoch. The broker serves both forms.
   */
  readonly transactionVersion: 1 | 2
  /** KIP-848 groups: Kafka's `group.consumer.session.timeout.ms` (default 45 s). */
  readonly consumerSessionTimeoutMs: number
  /** KIP-848 groups: Kafka's `group.consumer.heartbeat.interval.ms` (default 5 s). */
  readonly consumerHeartbeatIntervalMs: number
}

export class BrokerState {
  readonly clusterId: string
  readonly nodes: NodeAddress[]
  readonly topics: TopicStore
  readonly clock: BrokerClock
  readonly settings: ClusterSettings
  readonly transactions: TransactionCoordinator
  readonly groups: GroupCoordinator
  readonly consumerGroups: ConsumerGroups
  #nextProducerId = 1000n

  constructor(clusterId: string, nodes: NodeAddress[], settings: ClusterSettings, clock = new BrokerClock()) {
    this.clusterId = clusterId
    this.nodes = nodes
    this.settings = settings
    this.clock = clock
    this.topics = new TopicStore(nodes.map((node) => node.nodeId))
    this.groups = new GroupCoordinator(this.clock)
    this.transactions = new TransactionCoordinator(
      () => this.allocateProducerId(),
      this.clock,
      this.topics,
      this.groups.offsets,
    )
    this.groups.addSweeper(() => this.transactions.expire())
    this.consumerGroups = new ConsumerGroups(
      this.clock,
      this.topics,
      {
        sessionTimeoutMs: settings.consumerSessionTimeoutMs,
        heartbeatIntervalMs: settings.consumerHeartbeatIntervalMs,
      },
      this.groups,
    )
  }

  /**
   * The node coordinating a group or transactional id: Kafka hashes the key onto a partition of its internal
   * topic (Java's String.hashCode, made non-negative) and takes that partition's leader; here the node list
   * stands in for the partitions.
   */
  coordinatorFor(key: string): NodeAddress {
    let hash = 0
    for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0
    return this.nodes[(hash & 0x7fffffff) % this.nodes.length]!
  }

  /** A producer id no producer of this cluster had before. */
  allocateProducerId(): bigint {
    return this.#nextProducerId++
  }

  /**
   * The offset a consumer at `isolationLevel` may read up to: the log end for read_uncommitted, the last
   * stable offset (before the first open transaction) for read_committed.
   */
  lastStableOffset(partition: PartitionState, isolationLevel: number): bigint {
    if (isolationLevel !== READ_COMMITTED) return partition.log.logEndOffset
    return partition.transactions.lastStableOffset(partition.log.logEndOffset)
  }
}
