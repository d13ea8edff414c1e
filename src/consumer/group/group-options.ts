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
import {
  defineOptions,
  type OptionsOf,
  option,
  optionPath,
  type ResolvedOf,
  type ResolvedSoFar,
  resolveDeclared,
} from '../../common/option-table.ts'
import { stringOption } from '../../common/validate.ts'
import type { PartitionAssignor } from './assignors/assignor.ts'
import { BUILT_IN_ASSIGNORS, type BuiltInAssignorName, builtInAssignor } from './assignors/registry.ts'

export type GroupProtocol = 'classic' | 'consumer'

const INT32_MAX = 0x7fffffff

/** Rejects an option that does not apply with the group protocol already resolved. */
function onlyWith(protocol: GroupProtocol, path: string, value: unknown, resolved: ResolvedSoFar): void {
  if (value === undefined || resolved.groupProtocol === protocol) return
  if (protocol === 'classic') {
    throw new ConfigError(
      path,
      "does not apply with groupProtocol 'consumer' (the broker assigns partitions and owns session timeouts and heartbeat intervals; use remoteAssignor or the group's broker configs)",
    )
  }
  throw new ConfigError(path, "only applies with groupProtocol 'consumer'; use assignors")
}

/**
 * The consumer group options, declared once (see common/option-table.ts). Every option but `groupId` needs
 * `groupId` as well; the timing semantics are in this module's documentation.
 */
export const groupOptionTable = defineOptions({
  /** The consumer group to join. Required for `subscribe()`; without it only `assign()` is available. */
  groupId: option.custom<string, string>({
    type: 'string',
    defaultText: 'none (no group: assign() only)',
    allowed: 'a non-empty string',
    resolve: (path, value) => stringOption(path, value, ''),
  }),
  /**
   * `classic` (JoinGroup/SyncGroup, client-side assignors; every broker version, and the Java client's default
   * in 4.x) or `consumer` (KIP-848 ConsumerGroupHeartbeat, broker-side assignment, no group-wide stop during
   * rebalances; Kafka 4.0+ brokers). `classic` by default, so samsa and default-configured Java consumers can
   * share a group.
   */
  groupProtocol: option.oneOf<GroupProtocol>(['classic', 'consumer'], { default: 'classic' }),
  /**
   * Classic protocol only: assignors in preference order, by name or as objects implementing
   * `PartitionAssignor`. The default, `cooperative-sticky`, rebalances incrementally and interoperates with
   * default Java consumers, whose list `[range, cooperative-sticky]` includes it.
   */
  assignors: option.custom<ReadonlyArray<BuiltInAssignorName | PartitionAssignor>, PartitionAssignor[]>({
    type: 'Array<string | PartitionAssignor>',
    defaultText: "['cooperative-sticky']",
    allowed: `names (${BUILT_IN_ASSIGNORS.join(', ')}) or PartitionAssignor objects; classic protocol only`,
    resolve: (path, value, resolved) => {
      onlyWith('classic', path, value, resolved)
      return resolved.groupProtocol === 'classic' ? resolveAssignors(path, value) : []
    },
  }),
  /** Consumer protocol only: the broker-side assignor (`uniform` or `range` on Apache Kafka). */
  remoteAssignor: option.custom<string, string | null>({
    type: 'string',
    defaultText: "the broker's",
    allowed: "a non-empty string; groupProtocol 'consumer' only",
    resolve: (path, value, resolved) => {
      onlyWith('consumer', path, value, resolved)
      return value === undefined ? null : stringOption(path, value, '')
    },
  }),
  /** Static membership (KIP-345): a stable id for this instance; restarts within the session timeout keep the assignment. */
  groupInstanceId: option.custom<string, string | null>({
    type: 'string',
    defaultText: 'none (dynamic membership)',
    allowed: 'a non-empty string',
    resolve: (path, value) => (value === undefined ? null : stringOption(path, value, '')),
  }),
  /**
   * Classic protocol only: the coordinator evicts a member it has not heard from for this long, in ms; a
   * member that has heard nothing from the coordinator for this long gives its partitions up as lost.
   */
  sessionTimeoutMs: option.integer({
    default: 45_000,
    min: 1,
    max: INT32_MAX,
    check: (_value, path, resolved, given) => onlyWith('classic', path, given, resolved),
  }),
  /** Classic protocol only: how often the member heartbeats, in ms; lower than `sessionTimeoutMs`. */
  heartbeatIntervalMs: option.integer({
    default: (r) => Math.min(3000, Math.floor((r.sessionTimeoutMs as number) / 3)),
    defaultText: 'min(3000, sessionTimeoutMs / 3)',
    min: 1,
    max: INT32_MAX,
    check: (value, path, resolved, given) => {
      onlyWith('classic', path, given, resolved)
      if (resolved.groupProtocol !== 'classic') return
      const sessionTimeoutMs = resolved.sessionTimeoutMs as number
      if (value >= sessionTimeoutMs) {
        throw new ConfigError(
          path,
          `must be lower than sessionTimeoutMs (${sessionTimeoutMs}), got ${value}; a third of it is typical`,
        )
      }
    },
  }),
  /** The member leaves the group if the application does not ask for messages for this long, in ms. */
  maxPollIntervalMs: option.integer({ default: 300_000, min: 1, max: INT32_MAX }),
  /** How long the coordinator waits for every member to rejoin during a rebalance, in ms. */
  rebalanceTimeoutMs: option.integer({
    default: (r) => r.maxPollIntervalMs as number,
    defaultText: 'maxPollIntervalMs',
    min: 1,
    max: INT32_MAX,
  }),
  /**
   * Keep the member alive from a worker thread while the main thread is blocked, as the Java client's
   * heartbeat thread does: heartbeats go on while a handler holds the main thread for longer than the session
   * timeout, and the member leaves the group by itself once the application has not polled for
   * `maxPollIntervalMs`. The worker cannot receive options with functions in them (an OAUTHBEARER token
   * provider); with those, and with `false`, heartbeats run on the main thread only.
   */
  backgroundHeartbeat: option.boolean({ default: true }),
})

export type GroupOptions = OptionsOf<typeof groupOptionTable>

export type ResolvedGroupOptions = ResolvedOf<typeof groupOptionTable>

/** The option keys this module owns, for the consumer's unknown-option check. */
export const GROUP_OPTION_KEYS = Object.keys(groupOptionTable) as (keyof GroupOptions)[]

/**
 * Validates the group options inside a consumer's options. Returns null when no `groupId` is set; then any
 * group-only option is a mistake and is rejected.
 */
export function resolveGroupOptions(options: GroupOptions, scope = 'consumer'): ResolvedGroupOptions | null {
  if (options.groupId === undefined) {
    for (const key of GROUP_OPTION_KEYS) {
      if (options[key] !== undefined) {
        throw new ConfigError(optionPath(scope, key), 'only applies to a consumer group; set groupId as well')
      }
    }
    return null
  }
  return resolveDeclared(groupOptionTable, scope, options)
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
