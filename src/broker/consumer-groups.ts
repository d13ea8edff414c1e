/**
 * KIP-848 consumer groups: the group coordinator assigns partitions itself (server-side assignor) and every
 * member reconciles towards its share through ConsumerGroupHeartbeat. Follows Kafka's GroupMetadataManager
 * and CurrentAssignmentBuilder in their essentials:
 * - the group epoch rises on every change of membership, subscriptions or the subscribed topics' partitions,
 *   and a new target assignment is computed for it at once;
 * - a member that holds partitions its target no longer has keeps its epoch and is told to give them up;
 *   only once it reports (owned partitions) that it did, it moves to the target epoch;
 * - a partition another member still owns is withheld until that member has released it;
 * - a member heartbeating with an epoch other than its own (or its previous one, after a lost answer) is
 *   FENCED_MEMBER_EPOCH; sessions and revocations that outlive their timeouts remove the member;
 * - a static member leaving (-2) keeps its place and partitions, without a new group epoch, until its session
 *   runs out; a member joining with its instance id takes them over at once (KIP-848's static membership).
 * Simplification (a documented limit): a non-empty classic group is not converted (the heartbeat answers
 * GROUP_ID_NOT_FOUND).
 */

import { randomUUID } from 'node:crypto'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import type { BrokerClock } from './broker-clock.ts'
import type { GroupCoordinator, ListedGroupInfo } from './group-coordinator.ts'
import {
  type AssignablePartition,
  assign,
  partitionKey,
  SERVER_ASSIGNORS,
  type ServerAssignorName,
  type TargetAssignment,
} from './server-assignors.ts'
import type { TopicStore } from './topic-store.ts'

const LEAVE_EPOCH = -1
const STATIC_LEAVE_EPOCH = -2
const FIRST_VERSION_CLIENT_MEMBER_ID = 1

export interface ConsumerGroupSettings {
  /** Kafka's `group.consumer.session.timeout.ms` (default 45 s). */
  readonly sessionTimeoutMs: number
  /** Kafka's `group.consumer.heartbeat.interval.ms` (default 5 s). */
  readonly heartbeatIntervalMs: number
}

export interface HeartbeatInput {
  groupId: string
  memberId: string
  memberEpoch: number
  instanceId: string | null
  rebalanceTimeoutMs: number
  subscribedTopicNames: string[] | null
  subscribedTopicRegex: string | null
  serverAssignor: string | null
  /** Owned partitions as the member reports them, by topic id; null when unchanged. */
  topicPartitions: { topicId: string; partitions: number[] }[] | null
}

export interface HeartbeatOutput {
  errorCode: number
  errorMessage: string | null
  memberId: string | null
  memberEpoch: number
  heartbeatIntervalMs: number
  /** Partitions by topic id, or null when unchanged since the last answer. */
  assignment: { topicId: string; partitions: number[] }[] | null
}

interface Member {
  readonly memberId: string
  readonly instanceId: string | null
  readonly clientId: string
  epoch: number
  previousEpoch: number
  topicNames: string[]
  regex: RegExp | null
  regexSource: string | null
  rebalanceTimeoutMs: number
  /** Partitions the member was told it has. */
  readonly assigned: Set<string>
  /** Partitions it was told to give up and has not yet reported released. */
  readonly revoking: Set<string>
  revokeDeadline: number
  owned: Set<string>
  lastSeen: number
  lastSent: string | undefined
  /** A static member that left with epoch -2: its partitions wait for its instance id until its session ends. */
  staticLeft: boolean
}

class ConsumerGroup {
  readonly groupId: string
  groupEpoch = 0
  assignmentEpoch = 0
  assignor: ServerAssignorName = 'uniform'
  readonly members = new Map<string, Member>()
  target: TargetAssignment = new Map()
  topicsFingerprint = ''

  constructor(groupId: string) {
    this.groupId = groupId
  }

  get state(): string {
    if (this.members.size === 0) return 'Empty'
    for (const m of this.members.values()) {
      if (m.staticLeft) continue
      if (m.epoch !== this.assignmentEpoch || m.revoking.size > 0) return 'Reconciling'
      for (const key of this.target.get(m.memberId) ?? []) if (!m.assigned.has(key)) return 'Reconciling'
    }
    return 'Stable'
  }
}

export class ConsumerGroups {
  readonly #groups = new Map<string, ConsumerGroup>()
  readonly #ids = new Set<string>()
  readonly #clock: BrokerClock
  readonly #topics: TopicStore
  readonly #settings: ConsumerGroupSettings

  constructor(
    clock: BrokerClock,
    topics: TopicStore,
    settings: ConsumerGroupSettings,
    groups: GroupCoordinator,
  ) {
    this.#clock = clock
    this.#topics = topics
    this.#settings = settings
    groups.attachConsumerGroups(this.#ids, (groupId, memberId, epoch) =>
      this.validateCommit(groupId, memberId, epoch),
    )
    groups.attachConsumerGroupAdmin(
      () => this.list(),
      (groupId) => this.remove(groupId),
    )
    groups.addSweeper(() => this.sweep())
  }

  heartbeat(input: HeartbeatInput, clientId: string, version: number): HeartbeatOutput {
    const reply = (errorCode: number, errorMessage: string | null = null): HeartbeatOutput => ({
      errorCode,
      errorMessage,
      memberId: input.memberId === '' ? null : input.memberId,
      memberEpoch: -1,
      heartbeatIntervalMs: 0,
      assignment: null,
    })
    let group = this.#groups.get(input.groupId)
    if (input.memberEpoch === LEAVE_EPOCH || input.memberEpoch === STATIC_LEAVE_EPOCH) {
      const member = group?.members.get(input.memberId)
      if (group === undefined || member === undefined) return reply(ErrorCode.UNKNOWN_MEMBER_ID)
      if (input.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
        // Kafka keeps the place open: no new group epoch, the partitions stay reserved for the instance id;
        // what it was giving up is released now; the session, counted from its last heartbeat, still runs.
        member.staticLeft = true
        member.epoch = STATIC_LEAVE_EPOCH
        member.revoking.clear()
        return { ...reply(ErrorCode.NONE), memberEpoch: input.memberEpoch }
      }
      this.#removeMember(group, member.memberId)
      return { ...reply(ErrorCode.NONE), memberEpoch: input.memberEpoch }
    }
    let regex: RegExp | null = null
    if (input.subscribedTopicRegex !== null && input.subscribedTopicRegex !== '') {
      try {
        regex = new RegExp(`^(?:${input.subscribedTopicRegex})$`)
      } catch (error) {
        return reply(ErrorCode.INVALID_REGULAR_EXPRESSION, (error as Error).message)
      }
    }
    if (
      input.serverAssignor !== null &&
      !SERVER_ASSIGNORS.includes(input.serverAssignor as ServerAssignorName)
    ) {
      return reply(ErrorCode.UNSUPPORTED_ASSIGNOR, `assignor ${input.serverAssignor} is not supported`)
    }
    let member: Member | undefined
    if (input.memberEpoch === 0) {
      if (input.subscribedTopicNames === null && input.subscribedTopicRegex === null) {
        return reply(ErrorCode.INVALID_REQUEST, 'a joining member must subscribe to topics or a regex')
      }
      if (input.memberId === '' && version >= FIRST_VERSION_CLIENT_MEMBER_ID) {
        return reply(ErrorCode.INVALID_REQUEST, 'MemberId must be non-empty from version 1')
      }
      if (group === undefined) {
        group = new ConsumerGroup(input.groupId)
        this.#groups.set(input.groupId, group)
        this.#ids.add(input.groupId)
      }
      const memberId = input.memberId === '' ? randomUUID() : input.memberId
      let returning: Member | undefined
      if (input.instanceId !== null) {
        const holder = [...group.members.values()].find((m) => m.instanceId === input.instanceId)
        if (holder !== undefined && holder.memberId !== memberId) {
          if (!holder.staticLeft) {
            return reply(ErrorCode.UNRELEASED_INSTANCE_ID, `instance id ${input.instanceId} is still in use`)
          }
          returning = holder
        }
      }
      if (group.members.has(memberId)) this.#removeMember(group, memberId, false)
      member = {
        memberId,
        instanceId: input.instanceId,
        clientId,
        epoch: 0,
        previousEpoch: -1,
        topicNames: input.subscribedTopicNames ?? [],
        regex,
        regexSource: input.subscribedTopicRegex,
        rebalanceTimeoutMs: input.rebalanceTimeoutMs,
        assigned: new Set(),
        revoking: new Set(),
        revokeDeadline: 0,
        owned: new Set(),
        lastSeen: this.#clock.now(),
        lastSent: undefined,
        staticLeft: false,
      }
      if (returning !== undefined) {
        // The static member is back under a new member id: it takes over the place, its partitions and its
        // target, and the group epoch stays unless its subscription changed.
        for (const key of returning.assigned) member.assigned.add(key)
        group.target.set(memberId, group.target.get(returning.memberId) ?? new Set())
        this.#removeMember(group, returning.memberId, false)
      }
      group.members.set(memberId, member)
      const changedAssignor = input.serverAssignor !== null && input.serverAssignor !== group.assignor
      if (input.serverAssignor !== null) group.assignor = input.serverAssignor as ServerAssignorName
      const sameSubscription =
        returning !== undefined &&
        sameList(member.topicNames, returning.topicNames) &&
        member.regexSource === returning.regexSource
      if (!sameSubscription || changedAssignor) this.#bump(group)
    } else {
      member = group?.members.get(input.memberId)
      if (group === undefined || member === undefined) {
        return reply(ErrorCode.UNKNOWN_MEMBER_ID, `member ${input.memberId} is not in group ${input.groupId}`)
      }
      const owned = ownedKeys(input.topicPartitions)
      if (input.memberEpoch > member.epoch) return reply(ErrorCode.FENCED_MEMBER_EPOCH)
      if (input.memberEpoch < member.epoch) {
        // After a lost answer the member may still send its previous epoch, owning no more than it was given.
        const subset =
          owned !== null && [...owned].every((k) => member!.assigned.has(k) || member!.revoking.has(k))
        if (input.memberEpoch !== member.previousEpoch || !subset) return reply(ErrorCode.FENCED_MEMBER_EPOCH)
      }
      member.lastSeen = this.#clock.now()
      if (owned !== null) member.owned = owned
      let changed = false
      if (input.subscribedTopicNames !== null && !sameList(input.subscribedTopicNames, member.topicNames)) {
        member.topicNames = input.subscribedTopicNames
        changed = true
      }
      if (input.subscribedTopicRegex !== null && input.subscribedTopicRegex !== member.regexSource) {
        member.regex = regex
        member.regexSource = input.subscribedTopicRegex === '' ? null : input.subscribedTopicRegex
        changed = true
      }
      if (input.rebalanceTimeoutMs > 0) member.rebalanceTimeoutMs = input.rebalanceTimeoutMs
      if (input.serverAssignor !== null && input.serverAssignor !== group.assignor) {
        group.assignor = input.serverAssignor as ServerAssignorName
        changed = true
      }
      if (changed) this.#bump(group)
    }
    if (this.#fingerprint(group) !== group.topicsFingerprint) this.#bump(group)
    this.#reconcile(group, member)
    const assignment = [...member.assigned].sort()
    const sent = assignment.join(',')
    const changedAssignment = sent !== member.lastSent || input.memberEpoch === 0
    member.lastSent = sent
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.epoch,
      heartbeatIntervalMs: this.#settings.heartbeatIntervalMs,
      assignment: changedAssignment ? byTopic(assignment) : null,
    }
  }

  /** OffsetCommit/OffsetFetch from a KIP-848 member (Kafka's ConsumerGroup.validateOffsetCommit). */
  validateCommit(groupId: string, memberId: string, memberEpoch: number): number {
    const group = this.#groups.get(groupId)
    if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND
    if (memberEpoch < 0 && memberId === '' && group.members.size === 0) return ErrorCode.NONE
    const member = group.members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (memberEpoch !== member.epoch) return ErrorCode.STALE_MEMBER_EPOCH
    return ErrorCode.NONE
  }

  /** Members as ConsumerGroupDescribe or tests see them. */
  describe(groupId: string):
    | {
        groupEpoch: number
        assignmentEpoch: number
        assignor: string
        state: string
        members: {
          memberId: string
          instanceId: string | null
          clientId: string
          epoch: number
          assigned: string[]
          topicNames: string[]
          regex: string | null
          target: string[]
        }[]
      }
    | undefined {
    const group = this.#groups.get(groupId)
    if (group === undefined) return undefined
    return {
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignor: group.assignor,
      state: group.state,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        clientId: m.clientId,
        epoch: m.epoch,
        assigned: [...m.assigned].sort(),
        topicNames: m.topicNames,
        regex: m.regexSource,
        target: [...(group.target.get(m.memberId) ?? [])].sort(),
      })),
    }
  }

  list(): ListedGroupInfo[] {
    return [...this.#groups.values()].map((g) => ({
      groupId: g.groupId,
      protocolType: 'consumer',
      state: g.state,
      type: 'consumer' as const,
    }))
  }

  /** Drops an empty group (true), refuses a non-empty one (false), undefined when there is none. */
  remove(groupId: string): boolean | undefined {
    const group = this.#groups.get(groupId)
    if (group === undefined) return undefined
    if (group.members.size > 0) return false
    this.#groups.delete(groupId)
    this.#ids.delete(groupId)
    return true
  }

  sweep(): void {
    const now = this.#clock.now()
    for (const group of this.#groups.values()) {
      for (const member of [...group.members.values()]) {
        const sessionOver = now - member.lastSeen > this.#settings.sessionTimeoutMs
        const revocationOver = member.revoking.size > 0 && now > member.revokeDeadline
        if (sessionOver || revocationOver) this.#removeMember(group, member.memberId)
      }
    }
  }

  #removeMember(group: ConsumerGroup, memberId: string, bump = true): void {
    group.members.delete(memberId)
    group.target.delete(memberId)
    if (bump) this.#bump(group)
  }

  /** A new group epoch and, at once, the target assignment for it. */
  #bump(group: ConsumerGroup): void {
    group.groupEpoch += 1
    group.topicsFingerprint = this.#fingerprint(group)
    const partitions: AssignablePartition[] = []
    for (const topicId of this.#subscribedIds(group)) {
      const topic = this.#topics.byId(topicId)!
      for (const p of topic.partitions)
        partitions.push({ topicId, topicName: topic.name, partition: p.index })
    }
    const members = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      topics: this.#memberTopicIds(m),
    }))
    group.target = assign(group.assignor, members, partitions, group.target)
    group.assignmentEpoch = group.groupEpoch
  }

  /** Moves a member towards its target (Kafka's CurrentAssignmentBuilder, simplified). */
  #reconcile(group: ConsumerGroup, member: Member): void {
    if (member.revoking.size > 0) {
      const released = [...member.revoking].every((key) => !member.owned.has(key))
      if (!released) return
      member.revoking.clear()
    }
    const target = group.target.get(member.memberId) ?? new Set<string>()
    const toRevoke = [...member.assigned].filter((key) => !target.has(key))
    if (toRevoke.length > 0) {
      for (const key of toRevoke) {
        member.assigned.delete(key)
        member.revoking.add(key)
      }
      member.revokeDeadline = this.#clock.now() + member.rebalanceTimeoutMs
      return
    }
    if (member.epoch !== group.assignmentEpoch) {
      member.previousEpoch = member.epoch
      member.epoch = group.assignmentEpoch
    }
    for (const key of target) {
      if (member.assigned.has(key)) continue
      const heldElsewhere = [...group.members.values()].some(
        (other) => other !== member && (other.assigned.has(key) || other.revoking.has(key)),
      )
      if (!heldElsewhere) member.assigned.add(key)
    }
  }

  #memberTopicIds(member: Member): Set<string> {
    const ids = new Set<string>()
    for (const name of member.topicNames) {
      const topic = this.#topics.get(name)
      if (topic !== undefined) ids.add(topic.id)
    }
    if (member.regex !== null) {
      for (const topic of this.#topics.all()) if (member.regex.test(topic.name)) ids.add(topic.id)
    }
    return ids
  }

  #subscribedIds(group: ConsumerGroup): Set<string> {
    const ids = new Set<string>()
    for (const member of group.members.values()) for (const id of this.#memberTopicIds(member)) ids.add(id)
    return ids
  }

  /** The subscribed topics and their partition counts; a change (topic created, grown, deleted) rebalances. */
  #fingerprint(group: ConsumerGroup): string {
    return [...this.#subscribedIds(group)]
      .map((id) => `${id}:${this.#topics.byId(id)?.partitions.length ?? 0}`)
      .sort()
      .join(',')
  }
}

function ownedKeys(topicPartitions: HeartbeatInput['topicPartitions']): Set<string> | null {
  if (topicPartitions === null) return null
  const keys = new Set<string>()
  for (const t of topicPartitions) for (const p of t.partitions) keys.add(partitionKey(t.topicId, p))
  return keys
}

function byTopic(keys: string[]): { topicId: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>()
  for (const key of keys) {
    const at = key.lastIndexOf(':')
    const topicId = key.slice(0, at)
    grouped.set(topicId, [...(grouped.get(topicId) ?? []), Number(key.slice(at + 1))])
  }
  return [...grouped].map(([topicId, partitions]) => ({
    topicId,
    partitions: partitions.sort((a, b) => a - b),
  }))
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0')
}
