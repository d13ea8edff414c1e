/**
 * One classic consumer group (JoinGroup / SyncGroup / Heartbeat / LeaveGroup), following the states of
 * Kafka's ClassicGroup: Empty, PreparingRebalance (collecting joins), CompletingRebalance (waiting for the
 * leader's assignment), Stable. The group owns its members; the coordinator calls the intent methods here and
 * `sweep` to expire sessions and end rebalances whose timeout passed, measured on the broker clock.
 */

import { randomUUID } from 'node:crypto'
import { ErrorCode } from '../protocol/errors/error-codes.ts'

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable'

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolName: string | null
  protocolType: string | null
  leader: string
  memberId: string
  skipAssignment: boolean
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]
}

export interface SyncResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export interface JoinRequestLike {
  memberId: string
  groupInstanceId: string | null
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: { name: string; metadata: Buffer }[]
}

interface Member {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: { name: string; metadata: Buffer }[]
  assignment: Buffer
  lastSeen: number
  pendingJoin: ((result: JoinResult) => void) | undefined
  pendingSync: ((result: SyncResult) => void) | undefined
}

const EMPTY = Buffer.alloc(0)

export class ClassicGroup {
  readonly groupId: string
  #state: ClassicGroupState = 'Empty'
  #generation = 0
  #protocolType: string | null = null
  #protocolName: string | null = null
  #leader: string | null = null
  readonly #members = new Map<string, Member>()
  readonly #staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, until when they may join with them (one session). */
  readonly #pendingIds = new Map<string, number>()
  #rebalanceDeadline = 0
  readonly #now: () => number

  constructor(groupId: string, now: () => number) {
    this.groupId = groupId
    this.#now = now
  }

  get state(): ClassicGroupState {
    return this.#state
  }

  get generationId(): number {
    return this.#generation
  }

  get protocolType(): string | null {
    return this.#protocolType
  }

  get protocolName(): string | null {
    return this.#protocolName
  }

  get isEmpty(): boolean {
    return this.#members.size === 0
  }

  hasMember(memberId: string): boolean {
    return this.#members.has(memberId)
  }

  /** The members as DescribeGroups lists them. */
  describeMembers(): {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    metadata: Buffer
    assignment: Buffer
  }[] {
    return [...this.#members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      metadata: m.protocols.find((p) => p.name === this.#protocolName)?.metadata ?? EMPTY,
      assignment: m.assignment,
    }))
  }

  /** A JoinGroup; resolves when the rebalance it takes part in completes (or at once with an error). */
  join(request: JoinRequestLike, clientId: string, requireKnownMemberId: boolean): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = request.memberId): Promise<JoinResult> =>
      Promise.resolve(this.#joinResult(errorCode, memberId, false))
    if (this.#state !== 'Empty' && this.#protocolType !== request.protocolType) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    if (this.#members.size > 0 && !this.#supportsOneOf(request.protocols.map((p) => p.name))) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    let memberId = request.memberId
    if (request.groupInstanceId !== null) {
      const known = this.#staticMembers.get(request.groupInstanceId)
      if (memberId === '') {
        memberId = `${request.groupInstanceId}-${randomUUID()}`
        if (known !== undefined) {
          // KIP-345: a static member rejoining takes over its old member id's place without a rebalance.
          const old = this.#members.get(known)!
          this.#members.delete(known)
          old.pendingJoin?.(this.#joinResult(ErrorCode.FENCED_INSTANCE_ID, known, false))
          old.pendingSync?.({ ...this.#syncResult(ErrorCode.FENCED_INSTANCE_ID), assignment: EMPTY })
          const member = {
            ...old,
            memberId,
            pendingJoin: undefined,
            pendingSync: undefined,
            lastSeen: this.#now(),
          }
          this.#members.set(memberId, member)
          this.#staticMembers.set(request.groupInstanceId, memberId)
          if (this.#leader === known) this.#leader = memberId
          if (this.#state === 'Stable') {
            const result = this.#joinResult(ErrorCode.NONE, memberId, this.#leader === memberId)
            result.skipAssignment = this.#leader === memberId
            return Promise.resolve(result)
          }
          return this.#awaitJoin(member, request)
        }
      } else if (known !== memberId) {
        return fail(ErrorCode.FENCED_INSTANCE_ID)
      }
    } else if (memberId === '') {
      memberId = `${clientId}-${randomUUID()}`
      if (requireKnownMemberId) {
        // KIP-394: the member first learns its id, then joins with it; the id is pending until then.
        this.#pendingIds.set(memberId, this.#now() + request.sessionTimeoutMs)
        return Promise.resolve(this.#joinResult(ErrorCode.MEMBER_ID_REQUIRED, memberId, false))
      }
    } else if (!this.#members.has(memberId)) {
      if (!this.#pendingIds.delete(memberId)) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    }
    let member = this.#members.get(memberId)
    if (member === undefined) {
      member = this.#newMember(memberId, request, clientId)
      this.#members.set(memberId, member)
      if (request.groupInstanceId !== null) this.#staticMembers.set(request.groupInstanceId, memberId)
    }
    return this.#awaitJoin(member, request)
  }

  /** A SyncGroup; the leader's carries the assignment, which completes the rebalance for everyone. */
  sync(
    memberId: string,
    generationId: number,
    assignments: { memberId: string; assignment: Buffer }[],
  ): Promise<SyncResult> {
    const member = this.#members.get(memberId)
    if (member === undefined) return Promise.resolve(this.#syncResult(ErrorCode.UNKNOWN_MEMBER_ID))
    if (generationId !== this.#generation)
      return Promise.resolve(this.#syncResult(ErrorCode.ILLEGAL_GENERATION))
    member.lastSeen = this.#now()
    if (this.#state === 'PreparingRebalance')
      return Promise.resolve(this.#syncResult(ErrorCode.REBALANCE_IN_PROGRESS))
    if (this.#state === 'Stable')
      return Promise.resolve({ ...this.#syncResult(ErrorCode.NONE), assignment: member.assignment })
    return new Promise((resolve) => {
      member.pendingSync = resolve
      if (memberId === this.#leader) {
        const given = new Map(assignments.map((a) => [a.memberId, a.assignment]))
        this.#state = 'Stable'
        for (const m of this.#members.values()) {
          m.assignment = given.get(m.memberId) ?? EMPTY
          const pending = m.pendingSync
          m.pendingSync = undefined
          pending?.({ ...this.#syncResult(ErrorCode.NONE), assignment: m.assignment })
        }
      }
    })
  }

  heartbeat(memberId: string, generationId: number): number {
    const member = this.#members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.#generation) return ErrorCode.ILLEGAL_GENERATION
    member.lastSeen = this.#now()
    if (this.#state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE
  }

  /** A member leaving (LeaveGroup); by member id, or for a static member by instance id. */
  leave(memberId: string, groupInstanceId: string | null): number {
    let id = memberId
    if (groupInstanceId !== null) {
      const known = this.#staticMembers.get(groupInstanceId)
      if (known === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (memberId !== '' && known !== memberId) return ErrorCode.FENCED_INSTANCE_ID
      id = known
    }
    if (!this.#members.has(id)) return ErrorCode.UNKNOWN_MEMBER_ID
    this.#remove(id)
    return ErrorCode.NONE
  }

  /** For OffsetCommit from a classic member: NONE if `memberId` may commit at `generationId`. */
  validateCommit(memberId: string, generationId: number): number {
    // Kafka's ClassicGroup.validateOffsetCommit, in its order.
    if (generationId < 0 && this.#state === 'Empty') return ErrorCode.NONE
    if (this.#state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    if (!this.#members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.#generation) return ErrorCode.ILLEGAL_GENERATION
    return ErrorCode.NONE
  }

  /**
   * For TxnOffsetCommit: Kafka's ClassicGroup.validateOffsetCommit with isTransactional, which checks the
   * member and generation only when the producer passed them (KIP-447) and never waits on a rebalance.
   */
  validateTransactionalCommit(
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): number {
    if (generationId < 0 && memberId === '' && groupInstanceId === null) return ErrorCode.NONE
    if (groupInstanceId !== null) {
      const known = this.#staticMembers.get(groupInstanceId)
      if (known === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (known !== memberId) return ErrorCode.FENCED_INSTANCE_ID
    }
    if (!this.#members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.#generation) return ErrorCode.ILLEGAL_GENERATION
    return ErrorCode.NONE
  }

  /** Expires members whose session passed and ends a rebalance whose timeout passed. */
  sweep(): void {
    const now = this.#now()
    for (const [id, until] of this.#pendingIds) if (now > until) this.#pendingIds.delete(id)
    for (const member of [...this.#members.values()]) {
      if (member.pendingJoin !== undefined) continue
      if (now - member.lastSeen > member.sessionTimeoutMs) this.#remove(member.memberId)
    }
    if (this.#state === 'PreparingRebalance' && now >= this.#rebalanceDeadline) {
      for (const member of [...this.#members.values()]) {
        if (member.pendingJoin === undefined) this.#remove(member.memberId, false)
      }
      this.#completeJoin()
    }
  }

  #newMember(memberId: string, request: JoinRequestLike, clientId: string): Member {
    return {
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocols: request.protocols,
      assignment: EMPTY,
      lastSeen: this.#now(),
      pendingJoin: undefined,
      pendingSync: undefined,
    }
  }

  #awaitJoin(member: Member, request: JoinRequestLike): Promise<JoinResult> {
    member.protocols = request.protocols
    member.sessionTimeoutMs = request.sessionTimeoutMs
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
    member.lastSeen = this.#now()
    if (this.#state === 'Empty') this.#protocolType = request.protocolType
    return new Promise((resolve) => {
      member.pendingJoin?.(this.#joinResult(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId, false))
      member.pendingJoin = resolve
      if (this.#state !== 'PreparingRebalance') this.#prepareRebalance()
      // Complete once every member is in; deferred a tick so joins arriving together land in one generation.
      setImmediate(() => this.#maybeCompleteJoin())
    })
  }

  #prepareRebalance(): void {
    for (const member of this.#members.values()) {
      const pending = member.pendingSync
      member.pendingSync = undefined
      pending?.(this.#syncResult(ErrorCode.REBALANCE_IN_PROGRESS))
    }
    this.#state = 'PreparingRebalance'
    const longest = Math.max(0, ...[...this.#members.values()].map((m) => m.rebalanceTimeoutMs))
    this.#rebalanceDeadline = this.#now() + longest
  }

  #maybeCompleteJoin(): void {
    if (this.#state !== 'PreparingRebalance') return
    for (const member of this.#members.values()) if (member.pendingJoin === undefined) return
    this.#completeJoin()
  }

  #completeJoin(): void {
    if (this.#members.size === 0) {
      this.#state = 'Empty'
      this.#generation += 1
      this.#protocolName = null
      this.#leader = null
      return
    }
    this.#generation += 1
    this.#protocolName = this.#selectProtocol()
    if (this.#leader === null || !this.#members.has(this.#leader))
      this.#leader = this.#members.keys().next().value!
    this.#state = 'CompletingRebalance'
    for (const member of this.#members.values()) {
      const pending = member.pendingJoin
      member.pendingJoin = undefined
      member.lastSeen = this.#now()
      pending?.(this.#joinResult(ErrorCode.NONE, member.memberId, member.memberId === this.#leader))
    }
  }

  /** The protocol every member supports with the most first-preference votes, as Kafka selects it. */
  #selectProtocol(): string {
    const members = [...this.#members.values()]
    const candidates = members[0]!.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)))
    const votes = new Map<string, number>()
    for (const member of members) {
      const choice = member.protocols.find((p) => candidates.includes(p.name))
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1)
    }
    let best = candidates[0]!
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name
    return best
  }

  #supportsOneOf(names: string[]): boolean {
    return names.some((name) =>
      [...this.#members.values()].every((m) => m.protocols.some((p) => p.name === name)),
    )
  }

  #remove(memberId: string, rebalance = true): void {
    const member = this.#members.get(memberId)
    if (member === undefined) return
    this.#members.delete(memberId)
    if (member.groupInstanceId !== null && this.#staticMembers.get(member.groupInstanceId) === memberId) {
      this.#staticMembers.delete(member.groupInstanceId)
    }
    member.pendingJoin?.(this.#joinResult(ErrorCode.UNKNOWN_MEMBER_ID, memberId, false))
    member.pendingSync?.(this.#syncResult(ErrorCode.UNKNOWN_MEMBER_ID))
    if (!rebalance) return
    if (this.#members.size === 0 && this.#state !== 'PreparingRebalance') {
      this.#state = 'Empty'
      this.#generation += 1
      this.#protocolName = null
      this.#leader = null
    } else if (this.#state !== 'PreparingRebalance') {
      this.#prepareRebalance()
    } else {
      setImmediate(() => this.#maybeCompleteJoin())
    }
  }

  #joinResult(errorCode: number, memberId: string, leader: boolean): JoinResult {
    const ok = errorCode === ErrorCode.NONE
    return {
      errorCode,
      generationId: ok ? this.#generation : -1,
      protocolName: ok ? this.#protocolName : null,
      protocolType: ok ? this.#protocolType : null,
      leader: ok ? (this.#leader ?? '') : '',
      memberId,
      skipAssignment: false,
      members:
        ok && leader
          ? [...this.#members.values()].map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              metadata: m.protocols.find((p) => p.name === this.#protocolName)?.metadata ?? EMPTY,
            }))
          : [],
    }
  }

  #syncResult(errorCode: number): SyncResult {
    return {
      errorCode,
      protocolType: this.#protocolType,
      protocolName: this.#protocolName,
      assignment: EMPTY,
    }
  }
}
