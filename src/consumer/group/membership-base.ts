/**
 * What the classic and the KIP-848 memberships share: their construction inputs, the liveness machinery,
 * the stable-generation waiters, the fatal failure handed to the consumer once, and the order of a close
 * (stop the poll clock, let the protocol give up its partitions and leave, release waiters, stop liveness).
 * Each protocol supplies only what differs: when it counts as stable and how it shuts down.
 */

import type { KafkaError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import type { GroupCluster } from './group-cluster.ts'
import type { ResolvedGroupOptions } from './group-options.ts'
import { Liveness } from './liveness.ts'
import type { GroupMembership } from './membership.ts'
import type {
  AssignmentTarget,
  GroupMetadata,
  MembershipHooks,
  RebalanceListener,
} from './rebalance-listener.ts'
import type { TopicSubscription } from './topic-subscription.ts'

/** What a membership is built from, whichever protocol it speaks. */
export interface MembershipInit {
  cluster: GroupCluster
  options: ResolvedGroupOptions
  target: AssignmentTarget
  hooks?: MembershipHooks
  logger: Logger
  retryBackoffMs: number
  retryBackoffMaxMs: number
}

export abstract class MembershipBase implements GroupMembership {
  protected readonly cluster: GroupCluster
  protected readonly options: ResolvedGroupOptions
  protected readonly target: AssignmentTarget
  protected readonly hooks: MembershipHooks
  protected readonly logger: Logger
  protected readonly retryBackoffMs: number
  protected readonly retryBackoffMaxMs: number
  protected readonly liveness: Liveness

  /** Set once by close(); every loop and timer of the protocol stops on it. */
  protected closing = false
  /** The fatal error, until the consumer takes it. */
  protected failure: KafkaError | undefined
  private stableWaiters: Array<() => void> = []

  protected constructor(init: MembershipInit, protocol: 'classic' | 'consumer') {
    this.cluster = init.cluster
    this.options = init.options
    this.target = init.target
    this.hooks = init.hooks ?? {}
    this.logger = init.logger
    this.retryBackoffMs = init.retryBackoffMs
    this.retryBackoffMaxMs = init.retryBackoffMaxMs
    this.liveness = new Liveness({
      protocol,
      groupId: init.options.groupId,
      groupInstanceId: init.options.groupInstanceId,
      maxPollIntervalMs: init.options.maxPollIntervalMs,
      connection: init.options.backgroundHeartbeat ? init.cluster.connectionSettings : undefined,
      logger: init.logger,
      onAnswer: (answer) => this.onBackgroundAnswer(answer),
      onPollExpired: (left) => this.onPollTimeout(left),
    })
  }

  abstract subscribe(subscription: TopicSubscription, listener: RebalanceListener): void
  abstract notePoll(): void
  abstract groupMetadata(): GroupMetadata
  abstract get rebalanceInProgress(): boolean
  abstract get commitsMustWait(): boolean

  whenStable(): Promise<void> {
    if (this.isStable() || this.closing || this.failure !== undefined) return Promise.resolve()
    return new Promise((resolve) => this.stableWaiters.push(resolve))
  }

  takeFailure(): KafkaError | undefined {
    const failure = this.failure
    this.failure = undefined
    return failure
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.liveness.stopPollClock()
    await this.shutdown()
    this.releaseWaiters()
    void this.liveness.close()
  }

  /** True while the member is in a stable generation with its assignment reconciled. */
  protected abstract isStable(): boolean
  /** Stops the protocol's timers, gives up the owned partitions (listener awaited) and leaves the group. */
  protected abstract shutdown(): Promise<void>
  /** A heartbeat answer received by the background worker. */
  protected abstract onBackgroundAnswer(answer: { version: number; epoch: number; response: unknown }): void
  /** The application went maxPollIntervalMs without polling; `left` when the worker already left the group. */
  protected abstract onPollTimeout(left?: boolean): void

  /** Resolves everyone waiting in whenStable(). */
  protected releaseWaiters(): void {
    const waiters = this.stableWaiters
    this.stableWaiters = []
    for (const resolve of waiters) resolve()
  }
}
