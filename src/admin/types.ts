export type { CreateTopicsOptions, DeleteTopicsOptions, ListTopicsOptions } from './call-options.ts'
/** The public shapes the admin client takes and returns. */

/** A topic to create. */
export interface NewTopic {
  topic: string
  /** Number of partitions; 1 when omitted. */
  partitions?: number
  /** Copies of each partition; 1 when omitted (a single dev broker cannot hold more). */
  replicationFactor?: number
  /** Topic-level configs such as `cleanup.policy` or `retention.ms`. */
  configs?: Record<string, string>
}

/** What happened to one requested topic. */
export interface CreatedTopic {
  topic: string
  /** The topic's id, or the all-zero id when the broker does not report it (validate-only requests). */
  topicId: string
  /** False when the topic already existed and `ifNotExists` was set. */
  created: boolean
}

/** One partition as the cluster metadata describes it. */
export interface PartitionDescription {
  partition: number
  /** Node id of the leader, or -1 while the partition has none. */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
}

export interface TopicDescription {
  name: string
  topicId: string
  isInternal: boolean
  /** Sorted by partition number. */
  partitions: PartitionDescription[]
}

export interface BrokerDescription {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface ClusterDescription {
  clusterId: string
  /** In KRaft, the broker that forwards controller requests for this client; not the active controller. */
  controllerId: number
  /** Sorted by node id. */
  brokers: BrokerDescription[]
}

/** Grow a topic to `count` partitions (Kafka never shrinks one). */
export interface NewPartitions {
  topic: string
  /** The total number of partitions after the change. */
  count: number
}

/** Where a config's value comes from, most specific first. */
export type ConfigSource =
  | 'topic'
  | 'dynamic-broker'
  | 'dynamic-default-broker'
  | 'static-broker'
  | 'default'
  | 'dynamic-broker-logger'
  | 'client-metrics'
  | 'group'
  | 'unknown'

export interface ConfigEntry {
  name: string
  /** Null for sensitive configs and for configs without a value. */
  value: string | null
  source: ConfigSource
  readOnly: boolean
  sensitive: boolean
}

/** A change to a topic's configs: `set` overrides values, `delete` reverts names to their defaults. */
export interface TopicConfigChange {
  set?: Record<string, string>
  delete?: string[]
}

/** The bounds of one partition's log. */
export interface PartitionOffsets {
  partition: number
  /** Offset of the first record still in the log (the log-start offset). */
  earliest: bigint
  /** Offset the next record will get (the high watermark, i.e. last stable offset + 1 for read_uncommitted). */
  latest: bigint
}

/** The first offset at or after a timestamp, per partition. */
export interface PartitionTimestampOffset {
  partition: number
  /** The first offset whose record timestamp is >= the requested timestamp; the log end when there is none. */
  offset: bigint
  /** That record's timestamp, or -1 when `offset` is the log end. */
  timestamp: number
}

/** Records before `offset` in `partition` are to be deleted. */
export interface RecordsToDelete {
  partition: number
  /** Records below this offset are deleted; -1n means up to the high watermark. */
  offset: bigint
}

export interface DeletedRecords {
  partition: number
  /** The new log-start offset. */
  lowWatermark: bigint
}
