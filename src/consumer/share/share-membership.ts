/**
 * Membership in a share group through ShareGroupHeartbeat (KIP-932).
 *
 * Like the consumer protocol of KIP-848 the broker assigns, but more simply: a partition may go to many members
 * at once (records, not partitions, are what members share), so there is no revocation to wait for and no
 * assignment to acknowledge. The member sends a heartbeat on a timer; whenever the answer carries an
 * assignment, that is the set of partitions to fetch from from now on.
 *
 * The epoch: 0 joins, the coordinator bumps it, -1 leaves. The member id is a UUID this client generates and
 * keeps for the consumer's lifetime (ShareGroupHeartbeat v1). FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID mean
 * the coordinator dropped this member (it missed its session timeout): it rejoins with epoch 0.
 *
 * A new member's first answer usually has an empty assignment: the coordinator computes assignments on its own
 * cadence (`group.share.assignment.interval.ms`, 1 s by default) while the heartbeat interval is 5 s or more.
 * Until the first assignment arrives the member heartbeats every `JOINING_HEARTBEAT_MS` instead, so a consumer
 * starts in about a second rather than a whole interval.
 */

import { randomUUID } from 'node:crypto'
import { backoffDelay } from '../../cluster/backoff.ts'
import { KafkaError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  ShareGroupHeartbeat,
  type ShareGroupHeartbeatResponse,
} from '../../protocol/messages/share-group-heartbeat.ts'
import type { GroupCluster } from '../group/group-cluster.ts'
import type { SharePartition } from './acknowledgements.ts'

const JOIN_EPOCH = 0
const LEAVE_EPOCH = -1
const JOINING_HEARTBEAT_MS = 500

export interface ShareMembershipInit {
  cluster: GroupCluster
  groupId: string
  rackId: string | null
  logger: Logger
  retryBackoffMs: number
  retryBackoffMaxMs: number
  /** Called with the full assignment every time it changes. */
  onAssignment: (partitions: SharePartition[]) => void
}

export class ShareMembership {
  /** Client-generated, kept for the consumer's lifetime. */
  readonly memberId: string = randomUUID()
  private readonly init: ShareMembershipInit
  private topics: string[] = []
  private memberEpoch = JOIN_EPOCH
  private heartbeatIntervalMs = 5000
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined
  private failedAttempts = 0
  private assigned = false
  private closing = false
  /** Topics of the last heartbeat the coordinator answered; null until it answered one. */
  private sentTopics: string | null = null
  /** A fatal error, until the consumer takes it. */
  private failure: KafkaError | undefined
  /** The assignment as topic ids, until metadata names them. */
  private pendingAssignment: Array<{ topicId: string; partitions: number[] }> | undefined

  constructor(init: ShareMembershipInit) {
    this.init = init
  }

  get epoch(): number {
    return this.memberEpoch
  }

  /** Starts (or changes) the subscription; the next heartbeat goes out at once. */
  subscribe(topics: readonly string[]): void {
    this.topics = [...topics].sort()
    this.schedule(0)
  }

  /** The fatal error of the membership (for example GROUP_AUTHORIZATION_FAILED), once. */
  takeFailure(): KafkaError | undefined {
    const failure = this.failure
    this.failure = undefined
    return failure
  }

  /** Stops heartbeating and leaves the group (epoch -1), so its records' locks need not time out. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    clearTimeout(this.timer)
    await this.inFlight
    await this.leave()
  }

  /** Leaves the group and stays out until the next subscribe(); the assignment becomes empty. */
  async unsubscribe(): Promise<void> {
    this.topics = []
    clearTimeout(this.timer)
    await this.inFlight
    await this.leave()
    this.memberEpoch = JOIN_EPOCH
    this.sentTopics = null
    this.assigned = false
    this.pendingAssignment = undefined
    this.init.onAssignment([])
  }

  private async leave(): Promise<void> {
    if (this.memberEpoch <= 0) return
    try {
      const connection = await this.init.cluster.coordinator(this.init.groupId)
      const response = await connection.request(ShareGroupHeartbeat, {
        groupId: this.init.groupId,
        memberId: this.memberId,
        memberEpoch: LEAVE_EPOCH,
        rackId: null,
        subscribedTopicNames: null,
      })
      if (response.errorCode !== ErrorCode.NONE) {
        this.init.logger.warn('leaving the share group failed', {
          groupId: this.init.groupId,
          code: response.errorCode,
        })
      }
    } catch (error) {
      this.init.logger.warn('leaving the share group failed', { groupId: this.init.groupId, error })
    }
  }

  private schedule(delayMs: number): void {
    if (this.closing || this.failure !== undefined || this.topics.length === 0) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.inFlight ??= this.heartbeat().finally(() => {
        this.inFlight = undefined
      })
    }, delayMs)
  }

  private async heartbeat(): Promise<void> {
    let next: number
    try {
      const connection = await this.init.cluster.coordinator(this.init.groupId)
      const epoch = this.memberEpoch
      const topics = this.topics.join(',')
      const response = await connection.request(ShareGroupHeartbeat, {
        groupId: this.init.groupId,
        memberId: this.memberId,
        memberEpoch: epoch,
        rackId: this.init.rackId,
        // Only when it changed or the coordinator may not know it (a join); null means "as before".
        subscribedTopicNames: epoch === JOIN_EPOCH || this.sentTopics !== topics ? [...this.topics] : null,
      })
      if (this.closing) return
      next = await this.handle(response, epoch, topics, connection.address)
      this.failedAttempts = 0
    } catch (error) {
      if (this.closing) return
      if (error instanceof KafkaError && !error.retriable) {
        this.fail(error)
        return
      }
      this.init.cluster.invalidateCoordinator(this.init.groupId)
      this.init.logger.warn('share group heartbeat failed', { groupId: this.init.groupId, error })
      next = this.backoff()
    }
    this.schedule(next)
  }

  /** Handles an answer; returns the delay before the next heartbeat. */
  private async handle(
    response: ShareGroupHeartbeatResponse,
    sentEpoch: number,
    sentTopics: string,
    broker: string,
  ): Promise<number> {
    switch (response.errorCode) {
      case ErrorCode.NONE:
        break
      case ErrorCode.FENCED_MEMBER_EPOCH:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.init.logger.warn('fenced from the share group; rejoining', {
          groupId: this.init.groupId,
          code: response.errorCode,
          memberEpoch: sentEpoch,
        })
        this.memberEpoch = JOIN_EPOCH
        this.sentTopics = null
        this.assigned = false
        this.init.onAssignment([])
        return 0
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.init.cluster.invalidateCoordinator(this.init.groupId)
        return this.backoff()
      default:
        this.fail(errorForCode(response.errorCode, { errorMessage: response.errorMessage, broker })!)
        return 0
    }
    this.memberEpoch = response.memberEpoch
    this.sentTopics = sentTopics
    if (response.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = response.heartbeatIntervalMs
    if (response.assignment !== null) {
      this.pendingAssignment = response.assignment.topicPartitions.map((tp) => ({
        topicId: tp.topicId,
        partitions: [...tp.partitions],
      }))
    }
    if (this.pendingAssignment !== undefined) {
      const resolved = await this.resolve(this.pendingAssignment)
      if (resolved !== undefined && !this.closing) {
        this.pendingAssignment = undefined
        this.assigned = resolved.length > 0
        this.init.onAssignment(resolved)
      }
    }
    return this.assigned || this.topics.length === 0
      ? this.heartbeatIntervalMs
      : Math.min(JOINING_HEARTBEAT_MS, this.heartbeatIntervalMs)
  }

  /** Names the assigned topic ids through metadata; undefined when some id is not known yet. */
  private async resolve(
    assignment: ReadonlyArray<{ topicId: string; partitions: number[] }>,
  ): Promise<SharePartition[] | undefined> {
    if (assignment.length === 0) return []
    let metadata = await this.init.cluster.fetchMetadata(this.topics)
    if (assignment.some((tp) => metadata.topicName(tp.topicId) === undefined)) {
      metadata = await this.init.cluster.fetchMetadata(null)
    }
    const result: SharePartition[] = []
    for (const { topicId, partitions } of assignment) {
      const topic = metadata.topicName(topicId)
      if (topic === undefined) return undefined
      for (const partition of [...partitions].sort((a, b) => a - b))
        result.push({ topic, partition, topicId })
    }
    return result
  }

  private backoff(): number {
    return backoffDelay(this.failedAttempts++, this.init.retryBackoffMs, this.init.retryBackoffMaxMs)
  }

  private fail(error: KafkaError): void {
    this.failure = error
    clearTimeout(this.timer)
    this.init.logger.error('share group membership failed', { groupId: this.init.groupId, error })
    this.init.onAssignment([])
  }
}
