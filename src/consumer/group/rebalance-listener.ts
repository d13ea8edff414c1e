/**
 * What the application and the rest of the consumer see of group membership: the rebalance listener, the
 * generation used to fence commits, and the narrow interfaces the membership drives.
 */

import type { TopicPartition } from '../../common/types.ts'

/**
 * Callbacks around a rebalance. Each may return a promise; the rebalance does not proceed until it settles,
 * so a listener can commit offsets or flush state on revoke. While a callback runs, the consumer holds its
 * partitions: nothing of them is fetched or returned by `poll()`, the iterator or `consume()`, which keep
 * serving the other partitions. A listener that throws does not stop the rebalance (the partitions are gone
 * either way) and does not keep its partitions held; the error is logged and surfaced by the next poll.
 */
export interface RebalanceListener {
  /**
   * Partitions newly given to this member, before any of their messages is fetched or returned: a `seek()`
   * made here (say, to an offset kept in an external store) is where reading starts. Without one, the
   * committed offset, else `autoOffsetReset`, applies once the callback has resolved. With a cooperative
   * assignor it is called after every rebalance, possibly with an empty list.
   */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>
  /**
   * Partitions this member gives up in an orderly rebalance, while it still owns them: the last chance to
   * commit their offsets. Delivery of their records stopped before the call (what was buffered is dropped),
   * so their positions are final: committing them covers exactly what the application received. Eager
   * assignors revoke everything at the start of every rebalance; cooperative ones only what moves to another
   * member.
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

/**
 * Where a membership puts the partitions it is given: the consumer's fetch state. The membership holds
 * partitions around every listener call, so the application's callback and its reads never see the same
 * partition at once.
 */
export interface AssignmentTarget {
  /**
   * Replaces the consumer's assignment; partitions that stay keep their positions. `held` (new partitions
   * whose onPartitionsAssigned is still to run) are held from the start, so not a single fetch for them
   * happens before the listener could seek.
   */
  setAssignment(partitions: TopicPartition[], held?: readonly TopicPartition[]): void
  /**
   * Stops fetching and delivering `partitions` at once and drops their buffered data; positions stay. Called
   * when their revocation (or loss) starts, before any hook or listener.
   */
  hold(partitions: readonly TopicPartition[]): void
  /** Lets held partitions be positioned, fetched and delivered again; unassigned ones are ignored. */
  release(partitions: readonly TopicPartition[]): void
}

/**
 * Hooks for the offset-commit machinery. `beforeRevoke` runs before partitions are revoked (before the user's
 * `onPartitionsRevoked`), while this member still owns them: the place for "commit before revoke" (auto-commit).
 */
export interface MembershipHooks {
  beforeRevoke?(partitions: TopicPartition[]): Promise<void>
}
