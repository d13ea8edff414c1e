/**
 * The group coordinator: the classic groups, their committed offsets, and a sweep (every 100 ms of wall
 * time, and at once whenever the test clock advances) that expires sessions and ends rebalances whose
 * timeout passed. Which node coordinates a group is decided by BrokerState.coordinatorFor.
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'
import type { BrokerClock } from './broker-clock.ts'
import { ClassicGroup } from './classic-group.ts'
import { CommittedOffsets } from './committed-offsets.ts'

const SWEEP_INTERVAL_MS = 100

export interface ListedGroupInfo {
  readonly groupId: string
  readonly protocolType: string
  readonly state: string
  readonly type: 'classic' | 'consumer'
}

export class GroupCoordinator {
  readonly offsets = new CommittedOffsets()
  readonly #classic = new Map<string, ClassicGroup>()
  readonly #clock: BrokerClock
  readonly #sweepers: (() => void)[] = []
  #consumerGroupIds: ReadonlySet<string> = new Set()
  #consumerValidator: (groupId: string, memberId: string, memberEpoch: number) => number = () => 0
  #consumerLister: () => ListedGroupInfo[] = () => []
  #consumerDeleter: (groupId: string) => boolean | undefined = () => undefined
  #timer: NodeJS.Timeout | undefined
  #stopAdvance: (() => void) | undefined

  constructor(clock: BrokerClock) {
    this.#clock = clock
  }

  /** Starts the session sweep; `close` stops it. */
  start(): void {
    this.#timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS)
    this.#timer.unref()
    this.#stopAdvance = this.#clock.onAdvance(() => this.sweep())
  }

  close(): void {
    clearInterval(this.#timer)
    this.#stopAdvance?.()
  }

  /** Registers another sweep (the KIP-848 groups add theirs). */
  addSweeper(sweep: () => void): void {
    this.#sweepers.push(sweep)
  }

  sweep(): void {
    for (const group of this.#classic.values()) group.sweep()
    for (const sweep of this.#sweepers) sweep()
  }

  classic(groupId: string): ClassicGroup | undefined {
    return this.#classic.get(groupId)
  }

  /** The classic group, created Empty on first use. */
  classicOrCreate(groupId: string): ClassicGroup {
    let group = this.#classic.get(groupId)
    if (group === undefined) {
      group = new ClassicGroup(groupId, () => this.#clock.now())
      this.#classic.set(groupId, group)
    }
    return group
  }

  /** True if a KIP-848 consumer group of that id exists (then classic joins are refused). */
  consumerGroupExists(groupId: string): boolean {
    return this.#consumerGroupIds.has(groupId)
  }

  /** For OffsetCommit and OffsetFetch from a KIP-848 member: NONE if it may act at `memberEpoch`. */
  validateConsumerCommit(groupId: string, memberId: string, memberEpoch: number): number {
    return this.#consumerValidator(groupId, memberId, memberEpoch)
  }

  /** Registers the KIP-848 groups (consumer-groups.ts) with the commit checks they answer. */
  attachConsumerGroups(
    ids: ReadonlySet<string>,
    validate: (groupId: string, memberId: string, memberEpoch: number) => number,
  ): void {
    this.#consumerGroupIds = ids
    this.#consumerValidator = validate
  }

  /** Forgets an empty classic group (its offsets stay), so a KIP-848 group of that id can take over. */
  dropClassic(groupId: string): void {
    if (this.#classic.get(groupId)?.isEmpty) this.#classic.delete(groupId)
  }

  /** Lets a classic join take over an empty KIP-848 group of that id; false while that group has members. */
  releaseEmptyConsumerGroup(groupId: string): boolean {
    if (!this.#consumerGroupIds.has(groupId)) return true
    return this.#consumerDeleter(groupId) === true
  }

  classicGroups(): ClassicGroup[] {
    return [...this.#classic.values()]
  }

  /**
   * Every group the coordinator knows, as ListGroups lists them: classic groups, groups that only have
   * committed offsets (Kafka keeps those as Empty classic groups with no protocol type), and the KIP-848
   * groups registered with {@link attachConsumerGroups}.
   */
  listGroups(): ListedGroupInfo[] {
    const listed = new Map<string, ListedGroupInfo>()
    for (const group of this.offsets.groups()) {
      listed.set(group, { groupId: group, protocolType: '', state: 'Empty', type: 'classic' })
    }
    for (const group of this.#classic.values()) {
      listed.set(group.groupId, {
        groupId: group.groupId,
        protocolType: group.protocolType ?? '',
        state: group.state,
        type: 'classic',
      })
    }
    for (const group of this.#consumerLister()) listed.set(group.groupId, group)
    return [...listed.values()]
  }

  /**
   * DeleteGroups for one group: its offsets and (empty) group go. NON_EMPTY_GROUP while it has members,
   * GROUP_ID_NOT_FOUND when there is nothing by that id.
   */
  deleteGroup(groupId: string): number {
    const classic = this.#classic.get(groupId)
    const consumerEmpty = this.#consumerDeleter(groupId)
    if (classic !== undefined && !classic.isEmpty) return ErrorCode.NON_EMPTY_GROUP
    if (consumerEmpty === false) return ErrorCode.NON_EMPTY_GROUP
    if (classic === undefined && consumerEmpty === undefined && !this.offsets.hasGroup(groupId)) {
      return ErrorCode.GROUP_ID_NOT_FOUND
    }
    this.#classic.delete(groupId)
    this.offsets.deleteGroup(groupId)
    return ErrorCode.NONE
  }

  /** Registers how the KIP-848 groups are listed and deleted (undefined: no such group; false: not empty). */
  attachConsumerGroupAdmin(
    list: () => ListedGroupInfo[],
    remove: (groupId: string) => boolean | undefined,
  ): void {
    this.#consumerLister = list
    this.#consumerDeleter = remove
  }
}
