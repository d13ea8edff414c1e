/**
 * The target options of `groups reset-offsets` and `share-groups reset-offsets`: where the offsets move to,
 * exactly one of them. Share groups have no committed offset to shift from, so only consumer groups get
 * `--shift-by`.
 */

import { type Command, InvalidArgumentError, Option } from 'commander'
import type { OffsetResetTarget } from '../../admin/group-types.ts'
import type { ShareOffsetResetTarget } from '../../admin/share-group-types.ts'
import { parseOffset, parseTimestamp } from './flags.ts'

/** The flags the target options set, as commander names them. */
export interface ResetTargetFlags {
  toEarliest?: boolean
  toLatest?: boolean
  toOffset?: bigint
  toDatetime?: number
  shiftBy?: bigint
}

export type ResetTargetKind = 'consumer-group' | 'share-group'

function targetFlags(kind: ResetTargetKind): string[] {
  const shared = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime']
  return kind === 'consumer-group' ? [...shared, 'shift-by'] : shared
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

/** A signed record count for `--shift-by`. */
function parseShift(value: string): bigint {
  const text = value.trim()
  if (!/^-?\d+$/.test(text))
    throw new InvalidArgumentError(`expected an integer (negative rewinds), got "${value}"`)
  return BigInt(text)
}

/** Adds the target options to `command`, each conflicting with every other. */
export function addResetTargetOptions(command: Command, kind: ResetTargetKind): Command {
  const flags = targetFlags(kind)
  const target = (flag: string, description: string): Option => {
    const name = flag.replace(/^--/, '').replace(/ .*/, '')
    return new Option(flag, description).conflicts(flags.filter((other) => other !== name).map(camel))
  }
  const unread = kind === 'consumer-group' ? 'not yet read' : 'not yet delivered'
  command
    .addOption(target('--to-earliest', 'to the first offset still in the log'))
    .addOption(target('--to-latest', `to the log end (skip everything ${unread})`))
    .addOption(
      target('--to-offset <offset>', 'to this offset (clamped to the log range)').argParser(parseOffset),
    )
    .addOption(
      target(
        '--to-datetime <time>',
        'to the first record at or after this time (ISO-8601 or ms since epoch)',
      ).argParser(parseTimestamp),
    )
  if (kind === 'consumer-group') {
    command.addOption(
      target(
        '--shift-by <records>',
        'by this many records from the committed offset (negative rewinds; clamped to the log range)',
      ).argParser(parseShift),
    )
  }
  return command
}

/** The share-group target the flags name; exits through `command.error` when none was given. */
export function shareResetTarget(flags: ResetTargetFlags, command: Command): ShareOffsetResetTarget {
  return absoluteTarget(flags) ?? missingTarget(command, 'share-group')
}

/** The consumer-group target the flags name; exits through `command.error` when none was given. */
export function groupResetTarget(flags: ResetTargetFlags, command: Command): OffsetResetTarget {
  if (flags.shiftBy !== undefined) return { shiftBy: flags.shiftBy }
  return absoluteTarget(flags) ?? missingTarget(command, 'consumer-group')
}

/** The targets both kinds of group take: a place in the log, not relative to a committed offset. */
function absoluteTarget(flags: ResetTargetFlags): ShareOffsetResetTarget | undefined {
  if (flags.toEarliest === true) return 'earliest'
  if (flags.toLatest === true) return 'latest'
  if (flags.toOffset !== undefined) return { offset: flags.toOffset }
  if (flags.toDatetime !== undefined) return { timestamp: flags.toDatetime }
  return undefined
}

function missingTarget(command: Command, kind: ResetTargetKind): never {
  const flags = targetFlags(kind).map((flag) => `--${flag}`)
  return command.error(`error: one of ${flags.join(', ')} is required`)
}
