/**
 * Membership in a consumer group through the consumer protocol of KIP-848 (`groupProtocol: 'consumer'`).
 *
 * There is no group-wide rebalance and no leader: each member sends ConsumerGroupHeartbeat on a timer, and the
 * coordinator computes assignments with a broker-side assignor and hands each member its *target* assignment in
 * a heartbeat response. The member reconciles towards it on its own: it first revokes what the target dropped
 * (awaiting `onPartitionsRevoked`, so offsets can be committed), then takes what the target added, and
 * acknowledges by reporting what it now owns in its next heartbeat. The coordinator gives a partition to its new
 * owner only after the old owner acknowledged the revocation, so nothing is consumed twice, and members whose
 * assignment does not change are never interrupted.
 *
 * The member epoch plays the role of the classic generation: 0 joins, the coordinator bumps it with every new
 * target, -1 leaves, -2 leaves a static member's place open for its return. Since heartbeat v1 (KIP-1082) the
 * client generates its member id (a UUID) and keeps it for the consumer's lifetime. FENCED_MEMBER_EPOCH and
 * UNKNOWN_MEMBER_ID mean the coordinator moved on without this member: its partitions are lost, and it rejoins
 * with epoch 0.
 *
 * Assignments name topics by id; ids are mapped to names through cluster metadata.
 */

import { randomUUID } from 'node:crypto'
import { backoffDelay } from '../../cluster/backoff.ts'
import { ConfigError, KafkaError } from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/consumer-group-heartbeat.ts'
import type { MemberState } from './liveness.ts'
import { invokeListener, sortedCopy, subtract } from './membership.ts'
import { MembershipBase, type MembershipInit } from './membership-base.ts'
import type { GroupMetadata, RebalanceListener } from './rebalance-listener.ts'
import type { TopicSubscription } from './topic-subscription.ts'

const JOIN_EPOCH = 0
const LEAVE_EPOCH = -1
const STATIC_LEAVE_EPOCH = -2

export class ConsumerMembership extends MembershipBase {
  private coordinatorAddress: MemberState['coordinator'] = null
  /** Client-generated, kept for the consumer's lifetime (KIP-1082). */
  private memberId: string = randomUUID()

  private subscription: TopicSubscription | undefined
  private listener: RebalanceListener = {}
  private memberEpoch = JOIN_EPOCH
  private owned: TopicPartition[] = []
  /** The newest target assignment not yet reconciled, by topic id. */
  private pendingTarget: Array<{ topicId: string; partitions: number[] }> | undefined
  private reconciling: Promise<void> | undefined
  private heartbeatIntervalMs: number
  private heartbeatTimer: NodeJS.Timeout | undefined
  private heartbeatInFlight = false
  private failedAttempts = 0
  private joined = false
  private pollExpired = false
  /** Topic name → id, remembered from the assignments that named them, to report owned partitions by id. */
  private readonly topicIds = new Map<string, string>()

  constructor(init: MembershipInit) {
    super(init, 'consumer')
    this.heartbeatIntervalMs = init.options.heartbeatIntervalMs
  }

  override get rebalanceInProgress(): boolean {
    return !this.joined || this.reconciling !== undefined || this.pendingTarget !== undefined
  }

  /**
   * Only before the member has an epoch. While it reconciles, the coordinator keeps accepting its current
   * epoch (it changes when the member acknowledges a revocation, or at once when it only gains partitions),
   * and the revocation itself may be waiting for a commit: run() drains the handlers of revoked partitions,
   * and an at-most-once handler waits for its own offset's commit before it runs. Holding that commit until
   * the reconciliation ends deadlocked both (found by the chaos suite, KIP-848 at-most-once with kills).
   */
  override get commitsMustWait(): boolean {
    return !this.joined
  }

  override subscribe(subscription: TopicSubscription, listener: RebalanceListener): void {
    if (subscription.kind === 'pattern' && subscription.pattern.flags !== '') {
      throw new ConfigError(
        'subscribe.topics',
        "with groupProtocol 'consumer' the broker evaluates the pattern (RE2/J syntax), so RegExp flags cannot be honoured; remove them",
      )
    }
    this.subscription = subscription
    this.listener = listener
    this.scheduleHeartbeat(0)
  }

  override notePoll(): void {
    if (this.liveness.notePoll() && this.pollExpired) {
      this.pollExpired = false
      this.memberEpoch = JOIN_EPOCH
      this.scheduleHeartbeat(0)
    }
  }

  override groupMetadata(): GroupMetadata {
    return {
      groupId: this.options.groupId,
      generationId: this.joined ? this.memberEpoch : -1,
      memberId: this.joined ? this.memberId : '',
      groupInstanceId: this.options.groupInstanceId,
      protocol: null,
    }
  }

  protected override isStable(): boolean {
    return !this.rebalanceInProgress
  }

  protected override async shutdown(): Promise<void> {
    clearTimeout(this.heartbeatTimer)
    this.publishMember()
    await this.reconciling
    if (this.owned.length > 0) await this.release(this.owned, 'revoked')
    if (this.joined) await this.leave('consumer closed')
  }

  // ---------------------------------------------------------------------------------------------------------
  // Heartbeats

  private scheduleHeartbeat(delayMs: number): void {
    if (this.closing || this.failure !== undefined || this.pollExpired || this.subscription === undefined)
      return
    clearTimeout(this.heartbeatTimer)
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), delayMs)
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight) return
    this.heartbeatInFlight = true
    let address: string | undefined
    let next = this.heartbeatIntervalMs
    try {
      const connection = await this.cluster.coordinator(this.options.groupId)
      address = connection.address
      const epoch = this.memberEpoch
      this.liveness.noteHeartbeat()
      const response = await connection.request(ConsumerGroupHeartbeat, this.heartbeatRequest(epoch))
      if (this.closing || this.pollExpired) return
      next = this.handleResponse(response, epoch, address)
      this.failedAttempts = 0
      this.coordinatorAddress = { host: connection.host, port: connection.port, nodeId: connection.nodeId }
      this.publishMember()
    } catch (error) {
      if (error instanceof KafkaError && !error.retriable) {
        this.fail(error)
        return
      }
      this.cluster.invalidateCoordinator(this.options.groupId)
      this.logger.warn('consumer group heartbeat failed', {
        groupId: this.options.groupId,
        broker: address,
        error,
      })
      next = backoffDelay(this.failedAttempts++, this.retryBackoffMs, this.retryBackoffMaxMs)
    } finally {
      this.heartbeatInFlight = false
    }
    this.scheduleHeartbeat(next)
  }

  /**
   * Tells the heartbeat worker who this member is, so it can cover for a blocked main thread; it stands down
   * while the member is not joined (joining, fenced, leaving, closed).
   */
  private publishMember(): void {
    this.liveness.update({
      active:
        this.joined &&
        !this.closing &&
        !this.pollExpired &&
        this.failure === undefined &&
        this.coordinatorAddress !== null,
      memberId: this.memberId,
      epoch: this.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      coordinator: this.coordinatorAddress,
    })
  }

  /**
   * The worker heartbeated while the main thread was busy. An answer that moved the member on (a newer epoch,
   * a new target assignment, a fencing) is acted on as if this thread had sent the heartbeat; one older than
   * what this thread has seen since is dropped, since the next full heartbeat gets the current state anyway.
   */
  protected override onBackgroundAnswer(answer: { version: number; epoch: number; response: unknown }): void {
    if (this.closing || this.pollExpired || !this.joined) return
    const response = answer.response as ConsumerGroupHeartbeatResponse
    const current =
      response.errorCode === ErrorCode.NONE
        ? response.memberEpoch >= this.memberEpoch
        : answer.version === this.liveness.version
    if (!current) return
    const next = this.handleResponse(response, answer.epoch, 'the group coordinator')
    this.publishMember()
    if (next === 0) this.scheduleHeartbeat(0)
  }

  /**
   * Every heartbeat carries the full member state. The protocol allows sending only what changed, but a full
   * request is always valid, and it makes recovery after a lost response trivial.
   */
  private heartbeatRequest(epoch: number) {
    const subscription = this.subscription!
    return {
      groupId: this.options.groupId,
      memberId: this.memberId,
      memberEpoch: epoch,
      instanceId: this.options.groupInstanceId,
      rackId: null,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
      subscribedTopicNames: subscription.kind === 'topics' ? [...subscription.topics] : null,
      subscribedTopicRegex: subscription.kind === 'pattern' ? subscription.pattern.source : null,
      serverAssignor: this.options.remoteAssignor,
      topicPartitions: this.ownedByTopicId(),
    }
  }

  /** Handles a heartbeat answer; returns the delay before the next heartbeat. */
  private handleResponse(
    response: ConsumerGroupHeartbeatResponse,
    sentEpoch: number,
    broker: string,
  ): number {
    switch (response.errorCode) {
      case ErrorCode.NONE:
        break
      case ErrorCode.FENCED_MEMBER_EPOCH:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.logger.warn('fenced from the consumer group; rejoining', {
          groupId: this.options.groupId,
          code: response.errorCode,
          memberEpoch: sentEpoch,
        })
        this.memberEpoch = JOIN_EPOCH
        this.joined = false
        this.pendingTarget = undefined
        this.publishMember()
        void this.loseAll()
        return 0
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.cluster.invalidateCoordinator(this.options.groupId)
        return backoffDelay(this.failedAttempts++, this.retryBackoffMs, this.retryBackoffMaxMs)
      default:
        this.fail(errorForCode(response.errorCode, { errorMessage: response.errorMessage, broker })!)
        return 0
    }
    // Heartbeat v0 lets the coordinator choose the member id; v1 echoes ours.
    if (response.memberId !== null && response.memberId !== '') this.memberId = response.memberId
    this.memberEpoch = response.memberEpoch
    if (response.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = response.heartbeatIntervalMs
    if (!this.joined) {
      this.joined = true
      this.logger.info('joined consumer group', {
        groupId: this.options.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
      })
    }
    if (response.assignment !== null) {
      this.pendingTarget = response.assignment.topicPartitions.map((tp) => ({
        topicId: tp.topicId,
        partitions: [...tp.partitions],
      }))
      this.reconciling ??= this.reconcile()
    } else if (!this.rebalanceInProgress) {
      this.releaseWaiters()
    }
    return this.heartbeatIntervalMs
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reconciliation

  private async reconcile(): Promise<void> {
    try {
      while (this.pendingTarget !== undefined && !this.closing) {
        const targetIds = this.pendingTarget
        const target = await this.resolveTopicIds(targetIds)
        if (target === undefined) {
          // A topic id the metadata does not know yet (a topic just created): try again on the next heartbeat.
          break
        }
        if (this.pendingTarget !== targetIds) continue
        this.pendingTarget = undefined
        const revoked = subtract(this.owned, target)
        const added = subtract(target, this.owned)
        if (revoked.length > 0) await this.release(revoked, 'revoked')
        if (this.closing) return
        this.owned = sortedCopy(target)
        // The new partitions wait for the listener, which may seek them (invokeListener never throws).
        this.target.setAssignment(this.owned, added)
        if (added.length > 0) await invokeListener(this.listener, 'assigned', added, this.logger)
        this.target.release(added)
        this.liveness.restartPollClock()
        this.logger.info('reconciled consumer group assignment', {
          groupId: this.options.groupId,
          memberEpoch: this.memberEpoch,
          partitions: this.owned.length,
          added: added.length,
          revoked: revoked.length,
        })
        if (revoked.length > 0 || added.length > 0) this.scheduleHeartbeat(0) // acknowledge at once
      }
    } catch (error) {
      this.logger.warn('reconciling the consumer group assignment failed', {
        groupId: this.options.groupId,
        error,
      })
    } finally {
      this.reconciling = undefined
    }
    if (!this.rebalanceInProgress) this.releaseWaiters()
  }

  private async resolveTopicIds(
    target: ReadonlyArray<{ topicId: string; partitions: number[] }>,
  ): Promise<TopicPartition[] | undefined> {
    if (target.length === 0) return []
    const subscription = this.subscription!
    let metadata = await this.cluster.fetchMetadata(
      subscription.kind === 'topics' ? subscription.topics : null,
    )
    if (target.some((tp) => metadata.topicName(tp.topicId) === undefined)) {
      metadata = await this.cluster.fetchMetadata(null)
    }
    const result: TopicPartition[] = []
    for (const { topicId, partitions } of target) {
      const topic = metadata.topicName(topicId)
      if (topic === undefined) return undefined
      this.topicIds.set(topic, topicId)
      for (const partition of partitions) result.push({ topic, partition })
    }
    return result
  }

  private async release(partitions: TopicPartition[], event: 'revoked' | 'lost'): Promise<void> {
    const released = sortedCopy(partitions)
    // Nothing more of them reaches the application: what the hook and the listener commit is final.
    this.target.hold(released)
    if (event === 'revoked' && this.hooks.beforeRevoke !== undefined) {
      try {
        await this.hooks.beforeRevoke(released)
      } catch (error) {
        this.logger.warn('commit before revoke failed', { groupId: this.options.groupId, error })
      }
    }
    await invokeListener(this.listener, event, released, this.logger)
    this.owned = subtract(this.owned, released)
    this.target.setAssignment(this.owned)
  }

  private async loseAll(): Promise<void> {
    await this.reconciling
    if (this.owned.length > 0) await this.release(this.owned, 'lost')
  }

  /** What this member owns, as the heartbeat's `topicPartitions` (by topic id). */
  private ownedByTopicId(): Array<{ topicId: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of this.owned) {
      const id = this.topicIds.get(topic)
      if (id === undefined) continue
      const list = byTopic.get(id) ?? []
      list.push(partition)
      byTopic.set(id, list)
    }
    return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }))
  }

  // ---------------------------------------------------------------------------------------------------------

  /** `left`: the heartbeat worker already left the group (it noticed while the main thread was blocked). */
  protected override onPollTimeout(left = false): void {
    if (this.closing || !this.joined) return
    this.logger.warn(
      'the application did not poll within maxPollIntervalMs; leaving the group so its partitions can move',
      { groupId: this.options.groupId, maxPollIntervalMs: this.options.maxPollIntervalMs },
    )
    this.pollExpired = true
    clearTimeout(this.heartbeatTimer)
    this.publishMember()
    if (left) {
      this.joined = false
      this.memberEpoch = JOIN_EPOCH
      void this.loseAll()
      return
    }
    void this.leave('consumer poll timeout has expired').then(() => this.loseAll())
  }

  private async leave(reason: string): Promise<void> {
    const epoch = this.options.groupInstanceId === null ? LEAVE_EPOCH : STATIC_LEAVE_EPOCH
    try {
      const connection = await this.cluster.coordinator(this.options.groupId)
      const response = await connection.request(ConsumerGroupHeartbeat, {
        groupId: this.options.groupId,
        memberId: this.memberId,
        memberEpoch: epoch,
        instanceId: this.options.groupInstanceId,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      })
      if (response.errorCode !== ErrorCode.NONE) {
        this.logger.warn('leaving the consumer group failed', {
          groupId: this.options.groupId,
          code: response.errorCode,
          reason,
        })
      }
    } catch (error) {
      this.logger.warn('leaving the consumer group failed', { groupId: this.options.groupId, error, reason })
    }
    this.joined = false
    this.memberEpoch = JOIN_EPOCH
  }

  private fail(error: KafkaError): void {
    this.failure = error
    this.logger.error('consumer group membership failed', { groupId: this.options.groupId, error })
    clearTimeout(this.heartbeatTimer)
    this.releaseWaiters()
  }
}
