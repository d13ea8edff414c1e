/**
 * The topic configs the in-process broker knows, with Kafka's defaults. Two change what the broker does:
 * `max.message.bytes` (Produce refuses larger batches) and `message.timestamp.type` (LogAppendTime stamps
 * batches on append); the others are reported as set, so tools that read them (DescribeConfigs) see what a
 * real cluster would show, but retention and compaction are not applied.
 */

export interface TopicConfigDefault {
  readonly value: string
  /** DescribeConfigs config type: 1 BOOLEAN, 2 STRING, 3 INT, 5 LONG, 6 DOUBLE, 7 LIST. */
  readonly type: number
}

export const TOPIC_CONFIG_DEFAULTS: ReadonlyMap<string, TopicConfigDefault> = new Map([
  ['cleanup.policy', { value: 'delete', type: 7 }],
  ['compression.type', { value: 'producer', type: 2 }],
  ['max.message.bytes', { value: '1048588', type: 3 }],
  ['message.timestamp.type', { value: 'CreateTime', type: 2 }],
  ['min.insync.replicas', { value: '1', type: 3 }],
  ['retention.bytes', { value: '-1', type: 5 }],
  ['retention.ms', { value: '604800000', type: 5 }],
  ['segment.bytes', { value: '1073741824', type: 3 }],
  ['delete.retention.ms', { value: '86400000', type: 5 }],
  ['file.delete.delay.ms', { value: '60000', type: 5 }],
  ['flush.messages', { value: '9223372036854775807', type: 5 }],
  ['flush.ms', { value: '9223372036854775807', type: 5 }],
  ['index.interval.bytes', { value: '4096', type: 3 }],
  ['local.retention.bytes', { value: '-2', type: 5 }],
  ['local.retention.ms', { value: '-2', type: 5 }],
  ['max.compaction.lag.ms', { value: '9223372036854775807', type: 5 }],
  ['message.timestamp.after.max.ms', { value: '3600000', type: 5 }],
  ['message.timestamp.before.max.ms', { value: '9223372036854775807', type: 5 }],
  ['min.cleanable.dirty.ratio', { value: '0.5', type: 6 }],
  ['min.compaction.lag.ms', { value: '0', type: 5 }],
  ['preallocate', { value: 'false', type: 1 }],
  ['remote.storage.enable', { value: 'false', type: 1 }],
  ['segment.index.bytes', { value: '10485760', type: 3 }],
  ['segment.jitter.ms', { value: '0', type: 5 }],
  ['segment.ms', { value: '604800000', type: 5 }],
  ['unclean.leader.election.enable', { value: 'false', type: 1 }],
])

/** Why `name` is not a topic config Kafka knows, or null if it is (INVALID_CONFIG's message). */
export function unknownTopicConfig(name: string): string | null {
  return TOPIC_CONFIG_DEFAULTS.has(name) ? null : `Unknown topic config name: ${name}`
}

/** The value of `name` for a topic with `configs` set, falling back to the default. */
export function topicConfig(configs: ReadonlyMap<string, string>, name: string): string | undefined {
  return configs.get(name) ?? TOPIC_CONFIG_DEFAULTS.get(name)?.value
}
