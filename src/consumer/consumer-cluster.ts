/**
 * What the consumer needs from the shared cluster, declared structurally so the consumer depends on these
 * members only. One interface, checked by the compiler: the consumer never probes at run time what kind of
 * cluster it was given.
 */

import type { MetadataSnapshot, PartitionInfo } from '../cluster/metadata.ts'
import type { Logger } from '../common/logger.ts'
import type { Connection } from '../network/connection.ts'
import type { CoordinatorChannelSource } from './offsets/coordinator-channel.ts'

/**
 * The part fetching, offset lookups and position validation use: the current metadata, a way to refresh it
 * for the topics read, and connections to partition leaders.
 */
export interface FetchCluster {
  /** The newest metadata snapshot, without I/O. */
  readonly currentMetadata: MetadataSnapshot
  /** Fetches metadata for at least `topics` and resolves with the new snapshot. */
  refreshMetadata(topics: readonly string[]): Promise<MetadataSnapshot>
  /**
   * One partition's metadata with a leader; rejects with a BrokerError (UNKNOWN_TOPIC_OR_PARTITION) naming
   * the topic and partition when they do not exist.
   */
  partition(topic: string, partition: number): Promise<PartitionInfo>
  /** The ready connection to broker `nodeId`, connecting if needed. */
  connectionTo(nodeId: number): Promise<Connection>
  readonly options: { readonly requestTimeoutMs: number; readonly logger: Logger }
}

/**
 * Everything the consumer uses: fetching ({@link FetchCluster}), and the group coordinator for membership,
 * commits and committed-offset reads. The shared Cluster is one.
 */
export type ConsumerCluster = FetchCluster & CoordinatorChannelSource

/** The partition's placement in `snapshot`, or undefined when the snapshot does not know it. */
export function partitionInfo(
  snapshot: MetadataSnapshot,
  topic: string,
  partition: number,
): PartitionInfo | undefined {
  return snapshot.topics.get(topic)?.partitions[partition]
}
