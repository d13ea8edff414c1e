/**
 * The group coordinator: the classic groups, their committed offsets, and a sweep (every 100 ms of wall
 * time, and at once whenever the test clock advances) that expires sessions and ends rebalances whose
 * timeout passed. Which node coordinates a group is decided by BrokerState.coordinatorFor.
 */

import type { BrokerClock } from './broker-clock.ts'
import { ClassicGroup } from './classic-group.ts'
import { CommittedOffsets } from './committed-offsets.ts'

const SWEEP_INTERVAL_MS = 100

export class GroupCoordinator {
  readonly offsets = new CommittedOffsets()
  readonly #classic = new Map<string, ClassicGroup>()
  readonly #clock: BrokerClock
  readonly #sweepers: (() => void)[] = []
  #consumerGroupIds: ReadonlySet<string> = new Set()
  #consumerValidator: (groupId: string, memberId: string, memberEpoch: number) => number = () => 0
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

  classicGroups(): ClassicGroup[] {
    return [...this.#classic.values()]
  }
}
