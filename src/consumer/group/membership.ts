/**
 * The interface both membership protocols implement, and the pieces they share: partition-set arithmetic, the
 * listener invocation rules and the max-poll-interval timer.
 */

import type { KafkaError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import type { TopicPartition } from '../../common/types.ts'
import { topicPartitionKey } from '../../common/types.ts'
import { comparePartitions } from './assignors/assignor.ts'
import type { GroupMetadata, RebalanceListener } from './rebalance-listener.ts'
import type { TopicSubscription } from './topic-subscription.ts'

/** A consumer's membership in its group, whichever protocol it speaks. */
export interface GroupMembership {
  /** Starts (or changes) the subscription; joining happens in the background. */
  subscribe(subscription: TopicSubscription, listener: RebalanceListener): void
  /** The consumer asked for messages: restarts the max-poll-interval clock, and rejoins after a poll timeout. */
  notePoll(): void
  /** The current generation, for commits. generationId is -1 while not a member. */
  groupMetadata(): GroupMetadata
  /** True from the moment a rebalance starts until this member has its new assignment. */
  readonly rebalanceInProgress: boolean
  /**
   * True while a commit sent now would be refused for the member's identity, so commits wait for the
   * rebalance to finish. Classic: for the whole rebalance (the generation changes at JoinGroup). KIP-848:
   * only until the member has an epoch; while it reconciles, its epoch stays valid for commits.
   */
  readonly commitsMustWait: boolean
  /** Resolves once the member is in a stable generation (or the membership is closed or failed). */
  whenStable(): Promise<void>
  /** A fatal error (fenced, not authorized, misconfigured), returned once; the consumer's poll throws it. */
  takeFailure(): KafkaError | undefined
  /** Revokes the assignment (listener awaited), leaves the group (dynamic members) and stops. */
  close(): Promise<void>
}

export function partitionKey(tp: TopicPartition): string {
  return topicPartitionKey(tp.topic, tp.partition)
}

/** Partitions of `a` not in `b`, in topic/partition order. */
export function subtract(a: readonly TopicPartition[], b: readonly TopicPartition[]): TopicPartition[] {
  const exclude = new Set(b.map(partitionKey))
  return a.filter((tp) => !exclude.has(partitionKey(tp))).sort(comparePartitions)
}

export function sortedCopy(partitions: readonly TopicPartition[]): TopicPartition[] {
  return partitions.map(({ topic, partition }) => ({ topic, partition })).sort(comparePartitions)
}

export type ListenerEvent = 'assigned' | 'revoked' | 'lost'

/**
 * Calls the listener for `event` and waits for it. Errors are logged and returned, never thrown: the
 * rebalance must go on whatever the application's callback did.
 */
export async function invokeListener(
  listener: RebalanceListener,
  event: ListenerEvent,
  partitions: TopicPartition[],
  logger: Logger,
): Promise<unknown> {
  const callback =
    event === 'assigned'
      ? listener.onPartitionsAssigned
      : event === 'revoked'
        ? listener.onPartitionsRevoked
        : (listener.onPartitionsLost ?? listener.onPartitionsRevoked)
  if (callback === undefined) return undefined
  try {
    await callback.call(listener, partitions)
    return undefined
  } catch (error) {
    logger.error(`rebalance listener failed on partitions ${event}`, { error, partitions: partitions.length })
    return error
  }
}

/**
 * The max-poll-interval clock. Started by the first poll; if the application then goes `maxPollIntervalMs`
 * without polling, `onExpired` runs once, and the next poll reports `true` from {@link PollTimer.poll}.
 */
export class PollTimer {
  private readonly intervalMs: number
  private readonly onExpired: () => void
  private timer: NodeJS.Timeout | undefined
  private expired = false

  constructor(intervalMs: number, onExpired: () => void) {
    this.intervalMs = intervalMs
    this.onExpired = onExpired
  }

  /** Restarts the clock; returns true when the previous interval had expired. */
  poll(): boolean {
    clearTimeout(this.timer)
    const wasExpired = this.expired
    this.expired = false
    this.timer = setTimeout(() => {
      this.expired = true
      this.onExpired()
    }, this.intervalMs)
    // The clock alone must not keep the process alive.
    this.timer.unref()
    return wasExpired
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
