/**
 * What the application and the rest of the consumer see of group membership: the rebalance listener, the
 * generation used to fence commits, and the narrow interfaces the membership drives.
 */

import type { TopicPartition } from '../../common/types.ts'

/**
 * Callbacks around a rebalance. Each may return a promise; the rebalance does not proceed until it settles,
 * so a listener can commit offsets or flush state on revoke. A listener that throws does not stop the
 * rebalance (the partitions are gone either way); the error is logged and surfaced by the next poll.
 */
export interface RebalanceListener {
  /**
   * Partitions newly given to this member, before any of their messages is returned. With a cooperative
   * assignor it is called after every rebalance, possibly with an empty list.
   */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>
  /**
   * Partitions this member gives up in an orderly rebalance, while it still owns them: the last chance to
   * commit their offsets. Eager assignors revoke everything at the start of every rebalance; cooperative ones
   * only what moves to another member.
   */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>
  /**
   * Partitions this member lost without a chance to revoke them (its session expired, it was fenced, or the
   * group moved on without it): another member may already own them, so committing their offsets would fail.
   * Defaults to `onPartitionsRevoked` when not given, as in the Java client.
   */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>
}

/**
 * The member's identity in its current generation; what an OffsetCommit (or a transactional producer's
 * `sendOffsetsToTransaction`) must carry so the coordinator can reject commits from a stale member.
 */
export interface GroupMetadata {
  groupId: string
  /** Classic: the generation id; consumer protocol: the member epoch. -1 while not a member. */
  generationId: number
  /** Empty while not a member. */
  memberId: string
  groupInstanceId: string | null
  /** The assignor the group chose (classic), or null. */
  protocol: string | null
}

/** Where a membership puts the partitions it is given: the consumer's fetch state. */
export interface AssignmentTarget {
  /** Replaces the consumer's assignment; partitions that stay keep their positions. */
  setAssignment(partitions: TopicPartition[]): void
}

/**
 * Hooks for the offset-commit machinery. `beforeRevoke` runs before partitions are revoked (before the user's
 * `onPartitionsRevoked`), while this member still owns them: the place for "commit before revoke" (auto-commit).
 */
export interface MembershipHooks {
  beforeRevoke?(partitions: TopicPartition[]): Promise<void>
}
