/**
 * The contract of a client-side partition assignor in the classic group protocol.
 *
 * In the classic protocol the broker does not assign partitions: it elects one member as leader, hands it every
 * member's subscription, and the leader runs an assignor and sends the result back in SyncGroup. Every member of
 * a group, whatever client it runs, must therefore agree on the assignor's *name* (the coordinator picks one that
 * all members support) and on the wire format of subscriptions and assignments (see `consumer-protocol.ts`). The
 * names here are the ones registered by the Java client, which is what makes mixed groups work.
 */

import type { TopicPartition } from '../../../common/types.ts'

/**
 * How partitions change hands during a rebalance.
 * - `eager`: every member gives up everything before rejoining, so nothing is consumed during a rebalance.
 * - `cooperative` (KIP-429): members keep what they keep; a partition that moves is first revoked by its owner in
 *   one rebalance and only assigned to its new owner in a follow-up rebalance.
 */
export type RebalanceProtocol = 'eager' | 'cooperative'

/** One member's subscription as the group leader sees it. */
export interface MemberSubscription {
  memberId: string
  /** The static member id (`groupInstanceId`), or null for a dynamic member. */
  groupInstanceId: string | null
  /** Topics the member subscribed to, already resolved to names (RegExp subscriptions are resolved client-side). */
  topics: string[]
  /** Assignor-specific bytes the member attached to its subscription. */
  userData: Buffer | null
  /** Partitions the member owned when it rejoined (empty for eager members, which revoke before rejoining). */
  ownedPartitions: TopicPartition[]
  /** The generation in which the member owned `ownedPartitions`, or -1 when unknown. */
  generationId: number
  rackId: string | null
}

/** What an assignor works from. */
export interface AssignmentInput {
  /** Partition count of every subscribed topic that exists. Topics missing here are ignored. */
  partitionsPerTopic: ReadonlyMap<string, number>
  members: readonly MemberSubscription[]
}

/** Member id → its partitions. Every member of the input appears, possibly with an empty list. */
export type GroupAssignment = Map<string, TopicPartition[]>

export interface PartitionAssignor {
  /** The protocol name registered with the coordinator; must equal the Java client's for mixed groups. */
  readonly name: string
  /** Rebalance protocols the assignor's results are valid for. */
  readonly supportedProtocols: readonly RebalanceProtocol[]
  /** Bytes to attach to this member's subscription, given the generation of its current assignment. */
  subscriptionUserData?(generationId: number): Buffer | null
  assign(input: AssignmentInput): GroupAssignment
}

/**
 * The member order the Java assignors use: static members first, ordered by `groupInstanceId`, then dynamic
 * members ordered by `memberId`. Ordering by the static id keeps a restarted static member's assignment stable
 * even though it comes back with a new member id. JavaScript's `<` compares UTF-16 code units, as Java's
 * `String.compareTo` does, so both clients sort identically.
 */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) {
    return compareStrings(a.groupInstanceId, b.groupInstanceId)
  }
  if (a.groupInstanceId !== null) return -1
  if (b.groupInstanceId !== null) return 1
  return compareStrings(a.memberId, b.memberId)
}

/** Code-unit order, like Java's `String.compareTo` (and unlike `localeCompare`). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Orders partitions by topic, then partition number. */
export function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition
}

/** An assignment with an empty list for every member, so members that get nothing still get an answer. */
export function emptyAssignment(members: readonly MemberSubscription[]): GroupAssignment {
  return new Map(members.map((member) => [member.memberId, []]))
}
