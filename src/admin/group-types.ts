/** The public shapes the admin client's consumer-group calls take and return. */

import type { TopicPartition } from '../common/types.ts'

/**
 * How a group coordinates its members: `classic` (JoinGroup/SyncGroup, the client-side assignor) or
 * `consumer` (KIP-848: heartbeats, the broker assigns). Other values (`share`, `streams`) are reported as the
 * broker names them.
 */
export type GroupType = 'classic' | 'consumer' | (string & {})

/** One group as `listGroups` reports it. */
export interface GroupListing {
  groupId: string
  type: GroupType
  /** `consumer` for consumer groups of either type; '' for groups that only commit offsets. */
  protocolType: string
  /** As the coordinator names it: `Stable`, `Empty`, `PreparingRebalance`, `Assigning`, `Reconciling`, … */
  state: string
}

export interface ListGroupsOptions {
  /** Only groups in one of these states (matched without regard to case by the broker). */
  states?: string[]
  /** Only groups of one of these types. */
  types?: GroupType[]
}

/** One member of a group and the partitions it owns now. */
export interface GroupMemberDescription {
  memberId: string
  /** The static membership id (`group.instance.id`), if the member set one. */
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  /** The partitions the member owns, sorted by topic then partition. */
  assignment: TopicPartition[]
}

/** What `describeGroup` reports. */
export interface GroupDescription {
  groupId: string
  type: GroupType
  state: string
  /**
   * The classic group's protocol type (`consumer` for consumer clients); `consumer` for KIP-848 groups,
   * whose protocol type is implied.
   */
  protocolType: string
  /** The assignor in use: the classic group's chosen protocol (e.g. `range`), or the broker-side assignor. */
  assignor: string
  /** Node id of the group's coordinator. */
  coordinator: number
  /** Members sorted by member id. */
  members: GroupMemberDescription[]
}

/** One partition of a group's offsets, as `kafka-consumer-groups.sh --describe` shows it. */
export interface GroupPartitionOffsets extends TopicPartition {
  /** The offset the group resumes from; null when it has none (a partition assigned but never committed). */
  committedOffset: bigint | null
  /** The partition's log end (read_uncommitted, like Kafka's tool), or null when it could not be read. */
  logEndOffset: bigint | null
  /** `logEndOffset - committedOffset`, or null when either is unknown. */
  lag: bigint | null
  /** The commit's metadata string, when there is a commit. */
  metadata: string | null
  /** The member that owns the partition now, if any. */
  memberId: string | null
  clientId: string | null
  clientHost: string | null
}

/**
 * Where `resetGroupOffsets` moves the group:
 * - `'earliest'` / `'latest'`: the log start / log end;
 * - `{ timestamp }`: the first record at or after that time (ms since the epoch), or the log end;
 * - `{ offset }`: that offset, clamped to the log's range;
 * - `{ shiftBy }`: the committed offset moved by that many records (negative rewinds), clamped to the log's
 *   range. Every partition reset must already have a committed offset.
 */
export type OffsetResetTarget =
  | 'earliest'
  | 'latest'
  | { timestamp: number }
  | { offset: bigint }
  | { shiftBy: bigint }

export interface ResetGroupOffsetsOptions {
  topic: string
  /** Only these partitions of `topic`; all of them when omitted. */
  partitions?: number[]
  to: OffsetResetTarget
  /** Compute the new offsets without committing them. True unless set to false. */
  dryRun?: boolean
}

/** One partition's reset, planned (dry run) or done. */
export interface GroupOffsetReset extends TopicPartition {
  /** The group's committed offset before the reset; null when it had none. */
  previousOffset: bigint | null
  newOffset: bigint
}
