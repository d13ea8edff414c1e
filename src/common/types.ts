/** The vocabulary shared by every layer and the public API. */

/** A partition of a topic. */
export interface TopicPartition {
  topic: string
  partition: number
}

/**
 * A position in a partition. As everywhere in Kafka, a committed `offset` is the offset of the *next* record
 * to read (last processed offset + 1).
 */
export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint
  /** Free-form text stored with a committed offset (broker limit `offset.metadata.max.bytes`, 4096 by default). */
  metadata?: string
  /** Leader epoch of the record the offset follows (KIP-320); lets the broker detect log truncation. */
  leaderEpoch?: number
}

/** A record header. Kafka allows repeated keys, so headers are a list, not a map. */
export interface RecordHeader {
  key: string
  value: Buffer | null
}

/** `topic:partition`, the key used for per-partition maps. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`
}
