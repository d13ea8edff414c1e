/**
 * The consumer's side of group membership: what `consumer.subscribe()` creates. It validates the subscription
 * and listener, builds the membership for the configured protocol over the shared cluster, and feeds the
 * partitions the group assigns into the consumer's own `assign`, so fetching, positions and offset resets work
 * exactly as for a manual assignment.
 */

import { ConfigError, type KafkaError } from '../../common/errors.ts'
import { createMembership } from './create-membership.ts'
import { type GroupCluster, type GroupClusterSource, groupClusterOf } from './group-cluster.ts'
import type { GroupMembership } from './membership.ts'
import type { MembershipInit } from './membership-base.ts'
import type { GroupMetadata, RebalanceListener } from './rebalance-listener.ts'
import { parseSubscription } from './topic-subscription.ts'

export interface GroupSubscriptionInit extends Omit<MembershipInit, 'cluster'> {
  /** The consumer's cluster: coordinator lookup, connections and metadata. */
  cluster: GroupClusterSource
}

export class GroupSubscription {
  private readonly groupCluster: GroupCluster
  private readonly membership: GroupMembership

  constructor(init: GroupSubscriptionInit) {
    this.groupCluster = groupClusterOf(init.cluster)
    this.membership = createMembership({ ...init, cluster: this.groupCluster })
  }

  /** Validates and applies a subscription; the group (re)joins in the background. */
  subscribe(topics: unknown, listener: unknown = {}): void {
    const subscription = parseSubscription(topics)
    this.membership.subscribe(subscription, validateListener(listener))
  }

  notePoll(): void {
    this.membership.notePoll()
  }

  groupMetadata(): GroupMetadata {
    return this.membership.groupMetadata()
  }

  get rebalanceInProgress(): boolean {
    return this.membership.rebalanceInProgress
  }

  get commitsMustWait(): boolean {
    return this.membership.commitsMustWait
  }

  whenStable(): Promise<void> {
    return this.membership.whenStable()
  }

  takeFailure(): KafkaError | undefined {
    return this.membership.takeFailure()
  }

  async close(): Promise<void> {
    try {
      await this.membership.close()
    } finally {
      await this.groupCluster.close()
    }
  }
}

function validateListener(listener: unknown): RebalanceListener {
  if (typeof listener !== 'object' || listener === null) {
    throw new ConfigError(
      'subscribe.listener',
      'expected an object with onPartitionsAssigned/Revoked/Lost callbacks',
    )
  }
  for (const key of ['onPartitionsAssigned', 'onPartitionsRevoked', 'onPartitionsLost'] as const) {
    const callback = (listener as Record<string, unknown>)[key]
    if (callback !== undefined && typeof callback !== 'function') {
      throw new ConfigError(`subscribe.listener.${key}`, 'expected a function')
    }
  }
  return listener as RebalanceListener
}
