/**
 * An immutable picture of the cluster as one Metadata response described it: the brokers, the controller,
 * and for each topic the client asked about, its id and its partitions' leaders and replicas.
 *
 * Snapshots are replaced, never mutated, so code holding one sees a consistent view while a refresh runs.
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'
import type { MetadataResponse } from '../protocol/messages/metadata.ts'

/** A broker as the cluster advertises it. */
export interface BrokerInfo {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

/** One partition's placement. */
export interface PartitionInfo {
  readonly topic: string
  readonly partition: number
  /** Node id of the leader, or -1 while there is none (e.g. during an election). */
  readonly leaderId: number
  /** The leader's epoch (KIP-320), or -1 if the broker did not say. */
  readonly leaderEpoch: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  readonly offlineReplicas: readonly number[]
  /** The partition-level error the broker reported (0 for none), e.g. LEADER_NOT_AVAILABLE. */
  readonly errorCode: number
}

/** One topic's metadata. */
export interface TopicInfo {
  readonly name: string
  /** The topic's UUID; changes if the topic is deleted and re-created under the same name. */
  readonly topicId: string
  readonly isInternal: boolean
  /** Indexed by partition number. */
  readonly partitions: readonly PartitionInfo[]
}

/** Topic ids are UUIDs; the all-zero one means "no id". */
export const ZERO_TOPIC_ID = '00000000-0000-0000-0000-000000000000'

export class MetadataSnapshot {
  readonly brokers: ReadonlyMap<number, BrokerInfo>
  /** The node id the broker named as controller; in KRaft clusters, a broker that forwards to it. -1 if none. */
  readonly controllerId: number
  readonly clusterId: string | null
  /** Topics that exist, by name. */
  readonly topics: ReadonlyMap<string, TopicInfo>
  /** Topics asked about that the broker reported an error for (UNKNOWN_TOPIC_OR_PARTITION, ...), by name. */
  readonly topicErrors: ReadonlyMap<string, number>
  /** `performance.now()` when the response arrived; 0 for the empty snapshot. */
  readonly fetchedAt: number
  private readonly namesById: ReadonlyMap<string, string>

  constructor(
    brokers: ReadonlyMap<number, BrokerInfo>,
    controllerId: number,
    clusterId: string | null,
    topics: ReadonlyMap<string, TopicInfo>,
    topicErrors: ReadonlyMap<string, number>,
    fetchedAt: number,
  ) {
    this.brokers = brokers
    this.controllerId = controllerId
    this.clusterId = clusterId
    this.topics = topics
    this.topicErrors = topicErrors
    this.fetchedAt = fetchedAt
    const namesById = new Map<string, string>()
    for (const topic of topics.values()) {
      if (topic.topicId !== ZERO_TOPIC_ID) namesById.set(topic.topicId, topic.name)
    }
    this.namesById = namesById
  }

  /** A snapshot knowing nothing, before the first Metadata response. */
  static empty(): MetadataSnapshot {
    return new MetadataSnapshot(new Map(), -1, null, new Map(), new Map(), 0)
  }

  /** Builds a snapshot from a Metadata response. */
  static fromResponse(response: MetadataResponse, fetchedAt: number): MetadataSnapshot {
    const brokers = new Map<number, BrokerInfo>()
    for (const broker of response.brokers) {
      brokers.set(broker.nodeId, {
        nodeId: broker.nodeId,
        host: broker.host,
        port: broker.port,
        rack: broker.rack,
      })
    }
    const topics = new Map<string, TopicInfo>()
    const topicErrors = new Map<string, number>()
    for (const topic of response.topics) {
      if (topic.name === null) continue
      // LEADER_NOT_AVAILABLE at topic level comes with the partitions of a topic still being created;
      // any other topic error means the partition list is not usable.
      if (topic.errorCode !== ErrorCode.NONE) topicErrors.set(topic.name, topic.errorCode)
      if (topic.errorCode !== ErrorCode.NONE && topic.partitions.length === 0) continue
      const partitions: PartitionInfo[] = []
      for (const p of topic.partitions) {
        partitions[p.partitionIndex] = {
          topic: topic.name,
          partition: p.partitionIndex,
          leaderId: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          errorCode: p.errorCode,
        }
      }
      // A response with a gap in the partition numbers is malformed; a dense array keeps lookups simple.
      if (partitions.length !== topic.partitions.length) {
        topicErrors.set(
          topic.name,
          topic.errorCode === ErrorCode.NONE ? ErrorCode.UNKNOWN_SERVER_ERROR : topic.errorCode,
        )
        continue
      }
      topics.set(topic.name, {
        name: topic.name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        partitions,
      })
    }
    return new MetadataSnapshot(
      brokers,
      response.controllerId,
      response.clusterId,
      topics,
      topicErrors,
      fetchedAt,
    )
  }

  /** The name of the topic with this id, if this snapshot knows it. */
  topicName(topicId: string): string | undefined {
    return this.namesById.get(topicId)
  }

  /** Milliseconds since this snapshot was fetched. */
  ageMs(now = performance.now()): number {
    return now - this.fetchedAt
  }
}
