/**
 * Consumer group options: which membership protocol to speak and its timing. Validated once, at construction.
 *
 * Timing semantics (classic protocol):
 * - `sessionTimeoutMs`: the coordinator evicts a member it has not heard a heartbeat from for this long.
 *   Heartbeats are sent every `heartbeatIntervalMs` from their own timer, independent of message processing,
 *   and, while a handler blocks the main thread, from a worker thread (`backgroundHeartbeat`, see
 *   liveness.ts), so slow processing alone never costs the membership.
 * - `maxPollIntervalMs`: what *does* guard against stuck processing. If the application does not ask for
 *   messages (poll or iterate) for this long, the member leaves the group proactively, as the Java client
 *   does, so its partitions go to members that are making progress; the next poll rejoins. A static member
 *   does not send LeaveGroup (its instance id keeps its place); it stops heartbeating and the coordinator
 *   expires it after `sessionTimeoutMs`.
 * - `rebalanceTimeoutMs`: how long the coordinator waits for every member to rejoin during a rebalance, which
 *   includes the time listeners take to commit on revoke. Defaults to `maxPollIntervalMs`, as in Java.
 *
 * With the consumer protocol (KIP-848) the session timeout and heartbeat interval are broker-side group
 * configurations, and assignment runs on the broker, so `sessionTimeoutMs`, `heartbeatIntervalMs` and
 * `assignors` are rejected there instead of being silently ignored; `remoteAssignor` picks a broker assignor.
 */

import { ConfigError } from '../../common/errors.ts'
import { booleanOption, enumOption, integerOption, stringOption } from '../../common/validate.ts'
import type { PartitionAssignor } from './assignors/assignor.ts'
import { BUILT_IN_ASSIGNORS, type BuiltInAssignorName, builtInAssignor } from './assignors/registry.ts'

export type GroupProtocol = 'classic' | 'consumer'

export interface GroupOptions {
  /** The consumer group to join. Required for `subscribe()`; without it only `assign()` is available. */
  groupId?: string
  /**
   * `classic` (JoinGroup/SyncGroup, client-side assignors; every broker version, and the Java client's default
   * in 4.x) or `consumer` (KIP-848 ConsumerGroupHeartbeat, broker-side assignment, no group-wide stop during
   * rebalances; Kafka 4.0+ brokers). Default `classic`, so samsa and default-configured Java consumers can
   * share a group.
   */
  groupProtocol?: GroupProtocol
  /**
   * Classic protocol only: assignors in preference order, by name or as objects implementing
   * `PartitionAssignor`. Default `['cooperative-sticky']`: incremental rebalancing, and it interoperates with
   * default Java consumers, whose list `[range, cooperative-sticky]` includes it.
   */
  assignors?: ReadonlyArray<BuiltInAssignorName | PartitionAssignor>
  /** Consumer protocol only: the broker-side assignor (`uniform` or `range` on Apache Kafka). Default: the broker's. */
  remoteAssignor?: string
  /** Static membership (KIP-345): a stable id for this instance; restarts within the session timeout keep the assignment. */
  groupInstanceId?: string
  /** Classic only. Default 45000 (the broker bounds it by group.min/max.session.timeout.ms). */
  sessionTimeoutMs?: number
  /** Classic only. Default 3000; must be lower than `sessionTimeoutMs`. */
  heartbeatIntervalMs?: number
  /** Default 300000. See the module documentation for what happens when it elapses. */
  maxPollIntervalMs?: number
  /** Default: `maxPollIntervalMs`. */
  rebalanceTimeoutMs?: number
  /**
   * Keep the member alive from a worker thread while the main thread is blocked, as the Java client's
   * heartbeat thread does: heartbeats go on while a handler holds the main thread for longer than the session
   * timeout, and the member leaves the group by itself once the application has not polled for
   * `maxPollIntervalMs`. Default true. The worker cannot receive options with functions in them (an
   * OAUTHBEARER token provider); with those, and with `false`, heartbeats run on the main thread only.
   */
  backgroundHeartbeat?: boolean
}

export interface ResolvedGroupOptions {
  groupId: string
  groupProtocol: GroupProtocol
  assignors: PartitionAssignor[]
  remoteAssignor: string | null
  groupInstanceId: string | null
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  maxPollIntervalMs: number
  rebalanceTimeoutMs: number
  backgroundHeartbeat: boolean
}

/** The option keys this module owns, for the consumer's unknown-option check. */
export const GROUP_OPTION_KEYS = [
  'groupId',
  'groupProtocol',
  'assignors',
  'remoteAssignor',
  'groupInstanceId',
  'sessionTimeoutMs',
  'heartbeatIntervalMs',
  'maxPollIntervalMs',
  'rebalanceTimeoutMs',
  'backgroundHeartbeat',
] as const

const INT32_MAX = 0x7fffffff

/**
 * Validates the group options inside a consumer's options. Returns null when no `groupId` is set; then any
 * group-only option is a mistake and is rejected.
 */
export function resolveGroupOptions(options: GroupOptions, scope = 'consumer'): ResolvedGroupOptions | null {
  const name = (key: string) => `${scope}.${key}`
  if (options.groupId === undefined) {
    for (const key of GROUP_OPTION_KEYS) {
      if (options[key] !== undefined) {
        throw new ConfigError(name(key), 'only applies to a consumer group; set groupId as well')
      }
    }
    return null
  }
  const groupId = stringOption(name('groupId'), options.groupId, '')
  const groupProtocol = enumOption<GroupProtocol>(
    name('groupProtocol'),
    options.groupProtocol,
    ['classic', 'consumer'],
    'classic',
  )
  const groupInstanceId =
    options.groupInstanceId === undefined
      ? null
      : stringOption(name('groupInstanceId'), options.groupInstanceId, '')

  if (groupProtocol === 'consumer') {
    for (const key of ['assignors', 'sessionTimeoutMs', 'heartbeatIntervalMs'] as const) {
      if (options[key] !== undefined) {
        throw new ConfigError(
          name(key),
          "does not apply with groupProtocol 'consumer' (the broker assigns partitions and owns session timeouts and heartbeat intervals; use remoteAssignor or the group's broker configs)",
        )
      }
    }
  } else if (options.remoteAssignor !== undefined) {
    throw new ConfigError(name('remoteAssignor'), "only applies with groupProtocol 'consumer'; use assignors")
  }

  const sessionTimeoutMs = integerOption(
    name('sessionTimeoutMs'),
    options.sessionTimeoutMs,
    45_000,
    1,
    INT32_MAX,
  )
  const heartbeatIntervalMs = integerOption(
    name('heartbeatIntervalMs'),
    options.heartbeatIntervalMs,
    Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
    1,
    INT32_MAX,
  )
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConfigError(
      name('heartbeatIntervalMs'),
      `must be lower than sessionTimeoutMs (${sessionTimeoutMs}), got ${heartbeatIntervalMs}; a third of it is typical`,
    )
  }
  const maxPollIntervalMs = integerOption(
    name('maxPollIntervalMs'),
    options.maxPollIntervalMs,
    300_000,
    1,
    INT32_MAX,
  )
  const rebalanceTimeoutMs = integerOption(
    name('rebalanceTimeoutMs'),
    options.rebalanceTimeoutMs,
    maxPollIntervalMs,
    1,
    INT32_MAX,
  )
  const remoteAssignor =
    options.remoteAssignor === undefined
      ? null
      : stringOption(name('remoteAssignor'), options.remoteAssignor, '')

  return {
    groupId,
    groupProtocol,
    assignors: groupProtocol === 'classic' ? resolveAssignors(name('assignors'), options.assignors) : [],
    remoteAssignor,
    groupInstanceId,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    maxPollIntervalMs,
    rebalanceTimeoutMs,
    backgroundHeartbeat: booleanOption(name('backgroundHeartbeat'), options.backgroundHeartbeat, true),
  }
}

function resolveAssignors(option: string, value: unknown): PartitionAssignor[] {
  if (value === undefined) return [builtInAssignor('cooperative-sticky')]
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(
      option,
      `expected a non-empty array of assignor names (${BUILT_IN_ASSIGNORS.join(', ')}) or assignors`,
    )
  }
  const assignors = value.map((entry: unknown, index): PartitionAssignor => {
    if (typeof entry === 'string') {
      if (!(BUILT_IN_ASSIGNORS as readonly string[]).includes(entry)) {
        throw new ConfigError(
          `${option}[${index}]`,
          `unknown assignor "${entry}"; built-in assignors are ${BUILT_IN_ASSIGNORS.join(', ')}`,
        )
      }
      return builtInAssignor(entry as BuiltInAssignorName)
    }
    if (isAssignor(entry)) return entry
    throw new ConfigError(
      `${option}[${index}]`,
      'expected an assignor name or an object with name, supportedProtocols and assign()',
    )
  })
  const names = assignors.map((assignor) => assignor.name)
  const duplicate = names.find((assignorName, index) => names.indexOf(assignorName) !== index)
  if (duplicate !== undefined) throw new ConfigError(option, `assignor "${duplicate}" is listed twice`)
  return assignors
}

function isAssignor(value: unknown): value is PartitionAssignor {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<PartitionAssignor>
  return (
    typeof candidate.name === 'string' &&
    candidate.name.length > 0 &&
    Array.isArray(candidate.supportedProtocols) &&
    typeof candidate.assign === 'function'
  )
}
