/**
 * A commit made while the group rebalances waits for the member's new assignment (GroupOffsets.commit), then
 * goes out only for partitions no other member can have owned meanwhile. Found by the chaos suite: a member
 * whose session expired during such a wait rejoined under a new member id, was handed the same partitions
 * back, and committed the offsets it had named before, moving the group's committed offsets back below what
 * the partitions' owner in between had committed.
 */

import { describe, expect, it } from 'vitest'
import { CommitFailedError } from '../../../src/common/errors.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type { TopicPartition, TopicPartitionOffset } from '../../../src/common/types.ts'
import { resolveCommitOptions } from '../../../src/consumer/offsets/commit-options.ts'
import { GroupOffsets, type MembershipView } from '../../../src/consumer/offsets/group-offsets.ts'
import { SubscriptionState } from '../../../src/consumer/subscription-state.ts'
import { fakeCoordinator } from './fake-coordinator.ts'

const tp = (partition: number): TopicPartition => ({ topic: 't', partition })
const at = (offset: bigint, partition: number): TopicPartitionOffset => ({ topic: 't', partition, offset })

/** A membership the test moves through a rebalance by hand. */
class ScriptedMembership implements MembershipView {
  generationId = 3
  memberId = 'm'
  stable = true
  private stabilized: (() => void) | undefined

  get rebalanceInProgress(): boolean {
    return !this.stable
  }

  get commitsMustWait(): boolean {
    return !this.stable
  }

  groupMetadata() {
    const { generationId, memberId } = this
    return { groupId: 'g', generationId, memberId, groupInstanceId: null, protocol: null }
  }

  whenStable(): Promise<void> {
    if (this.stable) return Promise.resolve()
    return new Promise((resolve) => {
      this.stabilized = resolve
    })
  }

  /** The rebalance ends: the member holds `generationId` under `memberId`. */
  joined(generationId: number, memberId: string): void {
    this.generationId = generationId
    this.memberId = memberId
    this.stable = true
    this.stabilized?.()
  }
}

/** A group member's offsets, assigned partitions 0 and 1 of `t`, in a rebalance that has just begun. */
function memberInRebalance() {
  const coordinator = fakeCoordinator()
  const subscriptions = new SubscriptionState('earliest')
  subscriptions.assign([tp(0), tp(1)])
  const offsets = new GroupOffsets({
    cluster: { ...coordinator.access, close: async () => {} },
    groupId: 'g',
    groupInstanceId: null,
    options: resolveCommitOptions({ enableAutoCommit: false }),
    subscriptions,
    logger: silentLogger,
    requestTimeoutMs: 30_000,
    retryBackoffMs: 10,
  })
  const membership = new ScriptedMembership()
  offsets.attachMembership(membership)
  membership.stable = false
  return { coordinator, subscriptions, offsets, membership }
}

const sentOffsets = (request: {
  topics: { partitions: { partitionIndex: number; committedOffset: bigint }[] }[]
}) => request.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset]))

describe('a commit that waited for a rebalance', () => {
  it('goes out for partitions kept throughout, under the new generation (a cooperative rebalance)', async () => {
    const { coordinator, subscriptions, offsets, membership } = memberInRebalance()
    const commit = offsets.commit([at(5n, 0), at(6n, 1)])
    subscriptions.assign([tp(0)])
    membership.joined(4, 'm')
    const [request] = await coordinator.requests(1)
    expect(request?.request.generationIdOrMemberEpoch).toBe(4)
    expect(sentOffsets(request!.request)).toEqual([[0, 5n]])
    request?.answer()
    const error = await commit.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitFailedError)
    expect((error as CommitFailedError).partitions).toEqual([tp(1)])
  })

  it('goes out for partitions handed back in the next generation to the same member (an eager rebalance)', async () => {
    const { coordinator, subscriptions, offsets, membership } = memberInRebalance()
    const commit = offsets.commit([at(5n, 0), at(6n, 1)])
    // Eager: everything is revoked before the join, and what the member keeps is assigned anew.
    subscriptions.assign([])
    subscriptions.assign([tp(0), tp(1)])
    membership.joined(4, 'm')
    const [request] = await coordinator.requests(1)
    expect(sentOffsets(request!.request)).toEqual([
      [0, 5n],
      [1, 6n],
    ])
    request?.answer()
    await expect(commit).resolves.toEqual([at(5n, 0), at(6n, 1)])
  })

  it('is not sent for partitions handed back after the member lost its membership', async () => {
    const { coordinator, subscriptions, offsets, membership } = memberInRebalance()
    const commit = offsets.commit([at(5n, 0), at(6n, 1)])
    // The session expired during the wait: the partitions are lost, another member owned them for a
    // generation, and this member joins again under a new member id and gets them back.
    subscriptions.assign([])
    subscriptions.assign([tp(0), tp(1)])
    membership.joined(6, 'm-new')
    const error = await commit.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitFailedError)
    expect((error as CommitFailedError).partitions).toEqual([tp(0), tp(1)])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(coordinator.received).toHaveLength(0)
  })

  it('is not sent for partitions handed back more than one generation later', async () => {
    const { coordinator, subscriptions, offsets, membership } = memberInRebalance()
    const commit = offsets.commit([at(5n, 0)])
    subscriptions.assign([])
    subscriptions.assign([tp(0)])
    membership.joined(5, 'm')
    const error = await commit.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitFailedError)
    expect((error as CommitFailedError).partitions).toEqual([tp(0)])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(coordinator.received).toHaveLength(0)
  })
})
