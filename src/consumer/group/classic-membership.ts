/**
 * Membership in a consumer group through the classic protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup).
 *
 * A rebalance: every member sends JoinGroup with its subscription (one per assignor it supports, in preference
 * order); the coordinator waits up to the rebalance timeout for all members, picks an assignor every member
 * supports, and answers the leader with everyone's subscription. The leader runs the assignor and sends the
 * result in SyncGroup; every member's SyncGroup answer carries its own partitions. Between rebalances a timer
 * sends heartbeats every `heartbeatIntervalMs`, independent of message processing; a heartbeat answered with
 * REBALANCE_IN_PROGRESS means another rebalance has started and this member must rejoin.
 *
 * Revocation depends on the rebalance protocol (see assignors/registry.ts): eager members give up everything
 * before rejoining; cooperative members keep their partitions, give up only those missing from their new
 * assignment, and rejoin straight away when they gave something up, so it can be assigned to its new owner.
 *
 * A member that the coordinator no longer knows (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION: its session expired
 * or the group moved on) has *lost* its partitions rather than revoked them: they may already be consumed
 * elsewhere. It reports them through `onPartitionsLost` and rejoins. FENCED_INSTANCE_ID (another process took
 * this static member's `groupInstanceId`) and configuration errors are fatal.
 *
 * A member cut off from its coordinator learns none of that: it cannot hear that it was evicted. So it keeps
 * its own session clock: when no group request has been answered for `sessionTimeoutMs`, the coordinator
 * may have handed its partitions to another member, and it gives them up as lost at once, rather than go on
 * processing records another member is processing too (what librdkafka does; Java's classic consumer goes on
 * until an answer tells it).
 */

import { backoffDelay, sleep } from '../../cluster/backoff.ts'
import type { MetadataSnapshot } from '../../cluster/metadata.ts'
import { ConnectionError, IllegalStateError, isRetriable, KafkaError } from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { Heartbeat } from '../../protocol/messages/heartbeat.ts'
import { JoinGroup, type JoinGroupResponse } from '../../protocol/messages/join-group.ts'
import { LeaveGroup } from '../../protocol/messages/leave-group.ts'
import { SyncGroup } from '../../protocol/messages/sync-group.ts'
import { firstVersions } from '../../protocol/version-caps.ts'
import type { MemberSubscription, PartitionAssignor, RebalanceProtocol } from './assignors/assignor.ts'
import { rebalanceProtocolOf } from './assignors/registry.ts'
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.ts'
import type { MemberState } from './liveness.ts'
import { invokeListener, type ListenerEvent, sortedCopy, subtract } from './membership.ts'
import { MembershipBase, type MembershipInit } from './membership-base.ts'
import type { GroupMetadata, RebalanceListener } from './rebalance-listener.ts'
import { matchTopics, type TopicSubscription } from './topic-subscription.ts'

const NO_GENERATION = -1

export class ClassicMembership extends MembershipBase {
  private readonly assignors: PartitionAssignor[]
  private readonly protocol: RebalanceProtocol

  private subscription: TopicSubscription | undefined
  private listener: RebalanceListener = {}
  /** Topics the current subscription resolved to at the last join. */
  private joinedTopics: string[] = []
  /** Partition counts of `joinedTopics` (and of every group topic, when leader) at the last join. */
  private joinedPartitionCounts = new Map<string, number>()

  private memberId = ''
  private generationId = NO_GENERATION
  private chosenProtocol: string | null = null
  private owned: TopicPartition[] = []
  /** Set when the coordinator forgot this member: its partitions are lost, not revoked. */
  private lostPending = false
  /** When the coordinator last answered a group request (monotonic ms): this member's own session clock. */
  private lastCoordinatorAnswer = performance.now()
  /**
   * Set when, since the last answer, the coordinator's broker refused a connection: its process is gone, so
   * no coordinator is expiring this member; the group's next coordinator starts its session afresh.
   */
  private coordinatorDown = false
  private sessionTimer: NodeJS.Timeout | undefined
  /** Set while a rebalance is between prepareJoin() and completeJoin(), where it leaves `owned` alone. */
  private joining = false
  /** A loss declared by the session clock while the rebalance loop was waiting on the coordinator. */
  private sessionLoss: Promise<void> | undefined

  private rejoinNeeded = true
  private pollExpired = false
  private running: Promise<void> | undefined
  private stable = false
  private wakeLoop: (() => void) | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private metadataTimer: NodeJS.Timeout | undefined

  constructor(init: MembershipInit) {
    super(init, 'classic')
    this.assignors = init.options.assignors
    this.protocol = rebalanceProtocolOf(this.assignors)
  }

  override get rebalanceInProgress(): boolean {
    return !this.stable
  }

  override get commitsMustWait(): boolean {
    return !this.stable
  }

  override subscribe(subscription: TopicSubscription, listener: RebalanceListener): void {
    this.subscription = subscription
    this.listener = listener
    this.requestRejoin('subscription changed')
    this.running ??= this.run()
  }

  override notePoll(): void {
    if (this.liveness.notePoll() && this.pollExpired) {
      this.pollExpired = false
      this.requestRejoin('the application polled again after a poll timeout')
    }
  }

  override groupMetadata(): GroupMetadata {
    return {
      groupId: this.options.groupId,
      // The coordinator accepts commits from the current generation until the rebalance reaches SyncGroup,
      // so the generation stays valid while listeners commit on revoke.
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.options.groupInstanceId,
      protocol: this.chosenProtocol,
    }
  }

  protected override isStable(): boolean {
    return this.stable
  }

  protected override async shutdown(): Promise<void> {
    this.stopTimers()
    clearTimeout(this.sessionTimer)
    this.wake()
    await this.sessionLoss
    if (this.owned.length > 0) {
      const revoked = this.owned
      await this.revoke(revoked, this.lostPending ? 'lost' : 'revoked')
    }
    if (this.memberId !== '' && this.options.groupInstanceId === null)
      await this.leaveGroup('consumer closed')
    this.setStable(false)
  }

  // ---------------------------------------------------------------------------------------------------------
  // The rebalance loop

  private async run(): Promise<void> {
    for (let attempt = 0; !this.closing && this.failure === undefined; ) {
      try {
        if (this.rejoinNeeded && !this.pollExpired) {
          await this.rebalance()
          attempt = 0
        } else {
          await new Promise<void>((resolve) => {
            this.wakeLoop = resolve
          })
        }
      } catch (error) {
        if (this.closing) break
        if (!isRetriable(error)) {
          this.fail(error)
          break
        }
        this.noteCoordinatorFailure(error)
        this.logger.warn('group rebalance failed; retrying', { groupId: this.options.groupId, error })
        // rebalance() cleared the flag when it started; the failed attempt still owes the group a join, and
        // without the flag the loop would wait for a wake-up that nothing sends.
        this.rejoinNeeded = true
        await sleep(backoffDelay(attempt++, this.retryBackoffMs, this.retryBackoffMaxMs))
      }
    }
    this.stopTimers()
    this.releaseWaiters()
  }

  private requestRejoin(reason: string): void {
    if (!this.rejoinNeeded) this.logger.info('rejoining group', { groupId: this.options.groupId, reason })
    this.rejoinNeeded = true
    this.setStable(false)
    this.wake()
  }

  private wake(): void {
    const wake = this.wakeLoop
    this.wakeLoop = undefined
    wake?.()
  }

  private async rebalance(): Promise<void> {
    this.rejoinNeeded = false
    await this.prepareJoin()
    if (this.closing) return
    // From here to completeJoin() nothing here reads or changes `owned`; the session clock may give it up.
    this.joining = true
    let assignment: TopicPartition[] | undefined
    try {
      const metadata = await this.resolveSubscription()
      if (this.closing) return
      this.stopTimers()
      const join = await this.joinGroup()
      if (join === undefined || this.closing) return
      assignment = await this.syncGroup(join, metadata)
    } finally {
      this.joining = false
    }
    if (assignment === undefined || this.closing) return
    await this.completeJoin(assignment)
  }

  /** What happens to owned partitions before this member rejoins. */
  private async prepareJoin(): Promise<void> {
    await this.sessionLoss
    if (this.lostPending) {
      this.lostPending = false
      if (this.owned.length > 0) await this.revoke(this.owned, 'lost')
      return
    }
    if (this.protocol === 'eager') {
      if (this.owned.length > 0) await this.revoke(this.owned, 'revoked')
      return
    }
    // Cooperative: keep everything, except partitions of topics this member no longer subscribes to.
    if (this.subscription !== undefined && this.owned.length > 0) {
      const metadata = await this.fetchSubscriptionMetadata()
      const topics = new Set(matchTopics(this.subscription, metadata.topics.values()))
      const unsubscribed = this.owned.filter((tp) => !topics.has(tp.topic))
      if (unsubscribed.length > 0) await this.revoke(unsubscribed, 'revoked')
    }
  }

  private async revoke(
    partitions: TopicPartition[],
    event: Exclude<ListenerEvent, 'assigned'>,
  ): Promise<void> {
    const revoked = sortedCopy(partitions)
    // Nothing more of them reaches the application: what the hook and the listener commit is final.
    this.target.hold(revoked)
    if (event === 'revoked' && this.hooks.beforeRevoke !== undefined) {
      try {
        await this.hooks.beforeRevoke(revoked)
      } catch (error) {
        this.logger.warn('commit before revoke failed', { groupId: this.options.groupId, error })
      }
    }
    await invokeListener(this.listener, event, revoked, this.logger)
    this.owned = subtract(this.owned, revoked)
    this.target.setAssignment(this.owned)
  }

  private fetchSubscriptionMetadata(): Promise<MetadataSnapshot> {
    const subscription = this.subscription!
    return this.cluster.fetchMetadata(subscription.kind === 'topics' ? subscription.topics : null)
  }

  private async resolveSubscription(): Promise<MetadataSnapshot> {
    const metadata = await this.fetchSubscriptionMetadata()
    this.joinedTopics = matchTopics(this.subscription!, metadata.topics.values())
    this.joinedPartitionCounts = partitionCounts(metadata, this.joinedTopics)
    return metadata
  }

  private async joinGroup(): Promise<JoinGroupResponse | undefined> {
    const connection = await this.coordinator()
    const protocols = this.assignors.map((assignor) => ({
      name: assignor.name,
      metadata: encodeSubscription({
        topics: this.joinedTopics,
        userData: assignor.subscriptionUserData?.(this.generationId) ?? null,
        // Eager members own nothing when they rejoin; cooperative ones tell the leader what they keep.
        ownedPartitions: this.protocol === 'cooperative' ? this.owned : [],
        generationId: this.generationId,
        rackId: null,
      }),
    }))
    const response = await connection.request(
      JoinGroup,
      {
        groupId: this.options.groupId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols,
        reason: null,
      },
      // The coordinator answers only when every member has rejoined or the rebalance timeout passed.
      { timeoutMs: this.options.rebalanceTimeoutMs + 5000 },
    )
    this.noteCoordinatorAnswer()
    switch (response.errorCode) {
      case ErrorCode.NONE:
        this.memberId = response.memberId
        this.generationId = response.generationId
        this.chosenProtocol = response.protocolName
        return response
      case ErrorCode.MEMBER_ID_REQUIRED:
        // KIP-394: the first JoinGroup only obtains a member id; join again with it at once.
        this.memberId = response.memberId
        this.rejoinNeeded = true
        return undefined
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.memberId = ''
        this.rejoinNeeded = true
        return undefined
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.rejoinNeeded = true
        return undefined
      default:
        throw this.groupError(response.errorCode, null, connection.address)
    }
  }

  private async syncGroup(
    join: JoinGroupResponse,
    metadata: MetadataSnapshot,
  ): Promise<TopicPartition[] | undefined> {
    const isLeader = join.leader === join.memberId
    const assignments = isLeader && !join.skipAssignment ? await this.assignAsLeader(join, metadata) : []
    const connection = await this.coordinator()
    const response = await connection.request(SyncGroup, {
      groupId: this.options.groupId,
      generationId: join.generationId,
      memberId: join.memberId,
      groupInstanceId: this.options.groupInstanceId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: join.protocolName,
      assignments,
    })
    this.noteCoordinatorAnswer()
    switch (response.errorCode) {
      case ErrorCode.NONE:
        return decodeAssignment(response.assignment).partitions
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.rejoinNeeded = true
        return undefined
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.forgetMembership(response.errorCode)
        return undefined
      default:
        throw this.groupError(response.errorCode, null, connection.address)
    }
  }

  /** The leader's part: run the chosen assignor over every member's subscription. */
  private async assignAsLeader(
    join: JoinGroupResponse,
    ownMetadata: MetadataSnapshot,
  ): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assignor = this.assignors.find((candidate) => candidate.name === join.protocolName)
    if (assignor === undefined) {
      throw new IllegalStateError(
        `the coordinator chose assignor "${join.protocolName}", which this member did not offer`,
      )
    }
    const members: MemberSubscription[] = join.members.map((member) => {
      const subscription = decodeSubscription(member.metadata)
      return {
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        ...subscription,
      }
    })
    const groupTopics = [...new Set(members.flatMap((member) => member.topics))]
    const missing = groupTopics.filter((topic) => !ownMetadata.topics.has(topic))
    const metadata = missing.length > 0 ? await this.cluster.fetchMetadata(groupTopics) : ownMetadata
    const counts = partitionCounts(metadata, groupTopics)
    // The leader watches every topic of the group, so a partition added to any of them triggers a rebalance.
    for (const [topic, count] of counts) this.joinedPartitionCounts.set(topic, count)
    const result = assignor.assign({ partitionsPerTopic: counts, members })
    this.logger.info('computed group assignment', {
      groupId: this.options.groupId,
      generationId: join.generationId,
      assignor: assignor.name,
      members: members.length,
    })
    return members.map((member) => ({
      memberId: member.memberId,
      assignment: encodeAssignment({ partitions: result.get(member.memberId) ?? [], userData: null }),
    }))
  }

  private async completeJoin(assigned: TopicPartition[]): Promise<void> {
    // Partitions the session clock gave up while this join was out come back, if at all, as new ones.
    await this.sessionLoss
    if (this.lostPending) {
      this.lostPending = false
      if (this.owned.length > 0) await this.revoke(this.owned, 'lost')
    }
    const assignment = sortedCopy(assigned)
    this.setStable(true)
    this.startHeartbeats()
    this.startMetadataWatch()
    this.logger.info('joined group', {
      groupId: this.options.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      partitions: assignment.length,
    })
    const revoked = subtract(this.owned, assignment)
    const added = subtract(assignment, this.owned)
    if (revoked.length > 0) {
      await this.revoke(revoked, 'revoked')
      // KIP-429: what this member gave up is unowned now; another rebalance hands it to its new owner.
      if (this.protocol === 'cooperative') this.requestRejoin('partitions were revoked for reassignment')
    }
    this.owned = assignment
    // The new partitions wait for the listener, which may seek them (invokeListener never throws).
    this.target.setAssignment(this.owned, added)
    if (added.length > 0 || this.protocol === 'cooperative') {
      await invokeListener(this.listener, 'assigned', added, this.logger)
    }
    this.target.release(added)
    // Listener time is the application's time; the poll clock starts over once it is done.
    if (this.pollExpired === false) this.liveness.restartPollClock()
  }

  // ---------------------------------------------------------------------------------------------------------
  // Heartbeats

  private startHeartbeats(): void {
    clearTimeout(this.heartbeatTimer)
    const generationId = this.generationId
    const beat = async () => {
      if (this.closing || this.generationId !== generationId) return
      await this.heartbeat(generationId)
      // Heartbeats go on while a rejoin is being prepared (revoke listeners may take a while); rebalance()
      // stops them when it sends JoinGroup.
      if (!this.closing && this.generationId === generationId && this.heartbeatTimer !== undefined) {
        this.heartbeatTimer = setTimeout(beat, this.options.heartbeatIntervalMs)
      }
    }
    this.heartbeatTimer = setTimeout(beat, this.options.heartbeatIntervalMs)
    this.publishMember()
  }

  /**
   * Tells the heartbeat worker who this member is while its heartbeats run, so it can cover for a blocked
   * main thread; and that it must stand down whenever they stop (a rebalance, a lost membership, a close).
   */
  private publishMember(): void {
    const generationId = this.generationId
    const active = () =>
      !this.closing && this.heartbeatTimer !== undefined && this.generationId === generationId
    const update = (coordinator: MemberState['coordinator']) =>
      this.liveness.update({
        active: coordinator !== null && active(),
        memberId: this.memberId,
        epoch: generationId,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
        coordinator,
      })
    if (!this.liveness.background || !active()) {
      update(null)
      return
    }
    this.coordinator().then(
      (connection) => {
        if (active()) update({ host: connection.host, port: connection.port, nodeId: connection.nodeId })
      },
      () => {},
    )
  }

  /** The worker heartbeated while the main thread was busy; act on the answer as on our own. */
  protected override onBackgroundAnswer(answer: { epoch: number; response: unknown }): void {
    this.noteCoordinatorAnswer()
    if (this.closing || answer.epoch !== this.generationId) return
    this.onHeartbeatAnswer((answer.response as { errorCode: number }).errorCode, undefined)
  }

  private async heartbeat(generationId: number): Promise<void> {
    let address: string | undefined
    try {
      const connection = await this.coordinator()
      address = connection.address
      this.liveness.noteHeartbeat()
      const response = await connection.request(Heartbeat, {
        groupId: this.options.groupId,
        generationId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
      })
      this.noteCoordinatorAnswer()
      // A rebalance that started meanwhile makes this answer stale.
      if (this.generationId !== generationId || this.closing) return
      this.onHeartbeatAnswer(response.errorCode, address)
    } catch (error) {
      // A broken connection or a timeout: look the coordinator up again; the session survives a few misses.
      this.noteCoordinatorFailure(error)
      this.cluster.invalidateCoordinator(this.options.groupId)
      this.logger.warn('heartbeat failed', { groupId: this.options.groupId, broker: address, error })
    }
  }

  private onHeartbeatAnswer(errorCode: number, address: string | undefined): void {
    switch (errorCode) {
      case ErrorCode.NONE:
        return
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.requestRejoin('the coordinator started a rebalance')
        return
      case ErrorCode.ILLEGAL_GENERATION:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.forgetMembership(errorCode)
        this.requestRejoin('the coordinator no longer knows this member')
        return
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.cluster.invalidateCoordinator(this.options.groupId)
        return
      default:
        this.fail(this.groupError(errorCode, null, address ?? `coordinator of ${this.options.groupId}`))
    }
  }

  /** The coordinator answered: the session it keeps for this member runs for `sessionTimeoutMs` from now. */
  private noteCoordinatorAnswer(): void {
    this.lastCoordinatorAnswer = performance.now()
    this.coordinatorDown = false
    clearTimeout(this.sessionTimer)
    if (this.closing) return
    this.checkSessionIn(this.options.sessionTimeoutMs)
  }

  private checkSessionIn(delayMs: number): void {
    this.sessionTimer = setTimeout(() => this.checkSession(), delayMs)
    // The clock watches the member; it is no reason on its own for the process to stay up.
    this.sessionTimer.unref()
  }

  /** A group request failed: a refused connection means the coordinator's broker is down, not silent. */
  private noteCoordinatorFailure(error: unknown): void {
    if (error instanceof ConnectionError && isConnectionRefused(error.cause)) this.coordinatorDown = true
  }

  private checkSession(): void {
    // A main thread blocked past the deadline may have answers from the heartbeat worker still queued:
    // they are read in the poll phase, before setImmediate callbacks run.
    setImmediate(() => {
      if (this.closing || this.failure !== undefined) return
      const silentMs = performance.now() - this.lastCoordinatorAnswer
      if (silentMs < this.options.sessionTimeoutMs) {
        // A timer counts from the event loop's cached time, which can lag the answer's own timestamp by the
        // work done earlier in the same loop turn: it may fire a little before the session is up. Look again
        // then, or the clock would stop until the next answer, which a silent coordinator never sends.
        this.checkSessionIn(Math.ceil(this.options.sessionTimeoutMs - silentMs) + 1)
        return
      }
      if (this.owned.length === 0 || this.lostPending || this.sessionLoss !== undefined) return
      if (this.coordinatorDown) {
        // The coordinator died rather than fell silent (a leader failover, a broker restart): as in the Java
        // client, the partitions stay until a coordinator answers, with this member's session or without it.
        this.checkSessionIn(this.options.heartbeatIntervalMs)
        return
      }
      this.logger.warn(
        'no answer from the group coordinator within sessionTimeoutMs; the partitions are lost',
        {
          groupId: this.options.groupId,
          silentMs: Math.round(silentMs),
          sessionTimeoutMs: this.options.sessionTimeoutMs,
          partitions: this.owned.length,
        },
      )
      if (this.joining) {
        // The rebalance loop is waiting on the coordinator (JoinGroup, SyncGroup, or finding it) and will not
        // look at `owned` before completeJoin(): give them up now, and let completeJoin() wait for that.
        const lost = this.owned
        this.sessionLoss = this.revoke(lost, 'lost').finally(() => {
          this.sessionLoss = undefined
        })
        return
      }
      this.lostPending = true
      this.requestRejoin('no answer from the group coordinator within sessionTimeoutMs')
    })
  }

  /** The coordinator forgot this member or its generation: the partitions are lost; rejoin from scratch. */
  private forgetMembership(code: number): void {
    this.logger.warn('lost group membership', {
      groupId: this.options.groupId,
      code,
      memberId: this.memberId,
    })
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = ''
    this.generationId = NO_GENERATION
    this.lostPending = true
    this.rejoinNeeded = true
    this.setStable(false)
  }

  // ---------------------------------------------------------------------------------------------------------
  // Metadata watch: new partitions, and new topics matching a pattern, need a rebalance.

  private startMetadataWatch(): void {
    clearTimeout(this.metadataTimer)
    const check = async () => {
      if (this.closing || !this.stable) return
      try {
        const topics = [...this.joinedPartitionCounts.keys()]
        const metadata = await this.cluster.fetchMetadata(
          this.subscription?.kind === 'pattern' ? null : topics,
        )
        const subscribed = matchTopics(this.subscription!, metadata.topics.values())
        const changedTopics = subscribed.join(',') !== this.joinedTopics.join(',')
        const changedPartitions = [...this.joinedPartitionCounts].some(
          ([topic, count]) => (metadata.topics.get(topic)?.partitions.length ?? count) !== count,
        )
        if (changedTopics || changedPartitions) {
          this.requestRejoin(changedTopics ? 'subscribed topics changed' : 'partition count changed')
          return
        }
      } catch (error) {
        this.logger.debug('metadata check failed', { groupId: this.options.groupId, error })
      }
      if (!this.closing && this.stable) this.metadataTimer = setTimeout(check, this.cluster.metadataMaxAgeMs)
    }
    this.metadataTimer = setTimeout(check, this.cluster.metadataMaxAgeMs)
  }

  // ---------------------------------------------------------------------------------------------------------

  /** `left`: the heartbeat worker already sent LeaveGroup (it noticed while the main thread was blocked). */
  protected override onPollTimeout(left = false): void {
    if (this.closing) return
    this.logger.warn(
      'the application did not poll within maxPollIntervalMs; leaving the group so its partitions can move',
      { groupId: this.options.groupId, maxPollIntervalMs: this.options.maxPollIntervalMs },
    )
    this.pollExpired = true
    this.stopTimers()
    const dynamic = this.options.groupInstanceId === null
    if (dynamic && this.memberId !== '' && !left) void this.leaveGroup('consumer poll timeout has expired')
    // Whatever this member owned will have been reassigned by the time it polls again.
    this.memberId = dynamic ? '' : this.memberId
    this.generationId = NO_GENERATION
    this.lostPending = true
    this.rejoinNeeded = true
    this.setStable(false)
  }

  private async leaveGroup(reason: string): Promise<void> {
    try {
      const connection = await this.coordinator()
      // v3 moved the member id into a list of leaving members; the codec refuses the field a version lacks.
      const version = connection.versions.pick(LeaveGroup)
      const batched = version >= firstVersions.leaveGroupBatched
      const response = await connection.request(
        LeaveGroup,
        {
          groupId: this.options.groupId,
          memberId: batched ? '' : this.memberId,
          members: batched ? [{ memberId: this.memberId, groupInstanceId: null, reason }] : [],
        },
        { version },
      )
      if (response.errorCode !== ErrorCode.NONE) {
        this.logger.warn('LeaveGroup failed', { groupId: this.options.groupId, code: response.errorCode })
      }
    } catch (error) {
      this.logger.warn('LeaveGroup failed', { groupId: this.options.groupId, error })
    }
  }

  private async coordinator() {
    try {
      return await this.cluster.coordinator(this.options.groupId)
    } catch (error) {
      this.cluster.invalidateCoordinator(this.options.groupId)
      throw error
    }
  }

  /** An error for `code`; coordinator errors also drop the cached coordinator so the retry finds the new one. */
  private groupError(code: number, message: string | null, broker: string): KafkaError {
    if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
      this.cluster.invalidateCoordinator(this.options.groupId)
    }
    return errorForCode(code, { errorMessage: message, broker })!
  }

  private fail(error: unknown): void {
    this.failure =
      error instanceof KafkaError
        ? error
        : new IllegalStateError(`group membership failed: ${String(error)}`, { cause: error })
    this.logger.error('group membership failed', { groupId: this.options.groupId, error: this.failure })
    this.stopTimers()
    this.setStable(false)
    this.releaseWaiters()
    this.wake()
  }

  private setStable(stable: boolean): void {
    this.stable = stable
    if (stable) this.releaseWaiters()
  }

  private stopTimers(): void {
    clearTimeout(this.heartbeatTimer)
    clearTimeout(this.metadataTimer)
    this.heartbeatTimer = undefined
    this.metadataTimer = undefined
    this.publishMember()
  }
}

function partitionCounts(metadata: MetadataSnapshot, topics: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const topic of topics) {
    const info = metadata.topics.get(topic)
    if (info !== undefined && info.partitions.length > 0) counts.set(topic, info.partitions.length)
  }
  return counts
}

/** A socket error saying nothing listens at the address: the broker process is gone. */
function isConnectionRefused(cause: unknown): boolean {
  return (cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED'
}
