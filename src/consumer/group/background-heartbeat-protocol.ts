/**
 * What the main thread and the heartbeat worker tell each other (see background-heartbeat.ts). Kept to data
 * that structured clone carries; the worker imports only types from here and the network layer.
 */

import type { ConnectionSettings } from '../../cluster/client-options.ts'

/** Slots of the shared clock (an Int32Array over a SharedArrayBuffer), in ms since {@link WorkerSetup.originMs}. */
export const CLOCK_LAST_POLL = 0
/** When the main thread last sent (or received the answer to) a heartbeat of its own. */
export const CLOCK_LAST_MAIN_HEARTBEAT = 1
export const CLOCK_SLOTS = 2

/** Handed to the worker at start. */
export interface WorkerSetup {
  protocol: 'classic' | 'consumer'
  groupId: string
  groupInstanceId: string | null
  connection: ConnectionSettings
  maxPollIntervalMs: number
  /** Wall-clock origin of the shared clock: both threads write `now - originMs`. */
  originMs: number
  clock: SharedArrayBuffer
}

/**
 * The member as the main thread sees it. `active` is true while the main thread's own heartbeats run (a
 * joined, stable-or-reconciling member); the worker never heartbeats for a member that is joining, leaving or
 * rebalancing, since only the main thread knows what generation or epoch it is moving to.
 */
export interface MemberState {
  active: boolean
  memberId: string
  /** The classic generation, or the KIP-848 member epoch. */
  epoch: number
  heartbeatIntervalMs: number
  coordinator: { host: string; port: number; nodeId: number | undefined } | null
  /** Counts updates; the worker's answers name the update they were sent under. */
  version: number
}

export type MainToWorker = { kind: 'member'; state: MemberState } | { kind: 'stop' }

export type WorkerToMain =
  /** A heartbeat the worker sent because the main thread's was overdue, and the coordinator's answer. */
  | { kind: 'answer'; version: number; epoch: number; response: unknown }
  /** The main thread did not poll within maxPollIntervalMs; the worker has already left the group. */
  | { kind: 'poll-expired'; version: number; left: boolean }
  | { kind: 'log'; level: 'debug' | 'warn'; message: string; fields: Record<string, unknown> }
