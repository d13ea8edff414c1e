/** The public shapes the admin client's share-group calls (KIP-932) take and return. */

import type { TopicPartition } from '../common/types.ts'

/** One share group as `listShareGroups` reports it. */
export interface ShareGroupListing {
  groupId: string
  /** As the coordinator names it: `Empty`, `Stable` or `Dead`. */
  state: string
}

export interface ListShareGroupsOptions {
  /** Only groups in one of these states (`Empty`, `Stable`, `Dead`; the broker ignores case). */
  states?: string[]
}

/** One member of a share group and the partitions the broker assigned it. */
export interface ShareGroupMemberDescription {
  memberId: string
  /** The rack the member said it runs in, if any. */
  rackId: string | null
  /** The member's epoch: it moves up each time the member's assignment changes. */
  memberEpoch: number
  clientId: string
  clientHost: string
  /** The topics the member subscribed to, sorted. */
  subscribedTopics: string[]
  /**
   * The partitions the member fetches from, sorted by topic then partition. Unlike a consumer group, other
   * members may be assigned the same partitions: a share group hands out records, not partitions.
   */
  assignment: TopicPartition[]
}

/** What `describeShareGroup` reports. */
export interface ShareGroupDescription {
  groupId: string
  /** `Empty`, `Stable` or `Dead`. */
  state: string
  /** Moves up with every change of membership or subscriptions. */
  groupEpoch: number
  /** The group epoch the current target assignment was computed for. */
  assignmentEpoch: number
  /** The broker-side assignor, `simple` by default. */
  assignor: string
  /** Node id of the group's coordinator. */
  coordinator: number
  /** Members sorted by member id. */
  members: ShareGroupMemberDescription[]
}

/**
 * One partition of a share group's progress, the rows of `kafka-share-groups.sh --describe`. The share-partition
 * start offset (SPSO) is the first offset not yet finished with: records below it were all acknowledged,
 * rejected or archived.
 */
export interface SharePartitionOffsets extends TopicPartition {
  /** The start offset, or null while the share partition has not been initialised (nothing fetched yet). */
  startOffset: bigint | null
  /** The leader epoch the start offset was recorded at, or null when unknown. */
  leaderEpoch: number | null
  /** Records from the start offset to the log end not yet delivered and finished, as the broker computes it; null when unknown. */
  lag: bigint | null
}

export interface ListShareGroupOffsetsOptions {
  /** Only these topics; every topic the group has state for when omitted. */
  topics?: string[]
}

/** One start offset to set with `alterShareGroupOffsets`. */
export interface ShareGroupStartOffset extends TopicPartition {
  /** The offset the group starts delivering from; records before it are skipped. */
  offset: bigint
}

/**
 * Where `resetShareGroupOffsets` moves the group's start offsets:
 * - `'earliest'` / `'latest'`: the log start / log end;
 * - `{ timestamp }`: the first record at or after that time (ms since the epoch), or the log end;
 * - `{ offset }`: that offset, clamped to the log's range.
 */
export type ShareOffsetResetTarget = 'earliest' | 'latest' | { timestamp: number } | { offset: bigint }

export interface ResetShareGroupOffsetsOptions {
  topic: string
  /** Only these partitions of `topic`; all of them when omitted. */
  partitions?: number[]
  to: ShareOffsetResetTarget
  /** Compute the new start offsets without setting them. True unless set to false. */
  dryRun?: boolean
}

/** One partition's reset, planned (dry run) or done. */
export interface ShareGroupOffsetReset extends TopicPartition {
  /** The start offset before the reset; null when the share partition had none. */
  previousOffset: bigint | null
  newOffset: bigint
}

/** A change to a group's configs: `set` overrides values, `delete` reverts names to the broker's defaults. */
export interface GroupConfigChange {
  set?: Record<string, string>
  delete?: string[]
}
