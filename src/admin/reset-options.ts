/**
 * The options of `resetGroupOffsets` and `resetShareGroupOffsets`, validated at the boundary. The two take
 * the same shape; a share group has no committed offset to shift from, so only a consumer group takes
 * `{ shiftBy }`.
 */

import { ConfigError } from '../common/errors.ts'
import { validateOffset, validatePartition, validateTopicName } from '../common/validate.ts'
import type { OffsetResetTarget } from './group-types.ts'
import type { ShareOffsetResetTarget } from './share-group-types.ts'

export interface ResolvedResetOptions<Target> {
  topic: string
  /** Undefined: every partition of the topic. */
  partitions: number[] | undefined
  to: Target
  dryRun: boolean
}

/** Validates a consumer group reset's options, naming the first bad one. */
export function resolveGroupResetOptions(options: unknown): ResolvedResetOptions<OffsetResetTarget> {
  return resolveResetOptions(options, true)
}

/** Validates a share group reset's options, naming the first bad one. */
export function resolveShareGroupResetOptions(
  options: unknown,
): ResolvedResetOptions<ShareOffsetResetTarget> {
  return resolveResetOptions(options, false) as ResolvedResetOptions<ShareOffsetResetTarget>
}

function resolveResetOptions(options: unknown, shiftBy: boolean): ResolvedResetOptions<OffsetResetTarget> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'expected { topic, to, partitions?, dryRun? }')
  }
  const raw = options as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!['topic', 'partitions', 'to', 'dryRun'].includes(key)) {
      throw new ConfigError(key, 'unknown option; known options are topic, partitions, to, dryRun')
    }
  }
  const topic = validateTopicName('topic', raw.topic)
  let partitions: number[] | undefined
  if (raw.partitions !== undefined) {
    if (!Array.isArray(raw.partitions) || raw.partitions.length === 0) {
      throw new ConfigError('partitions', 'expected a non-empty array of partition numbers')
    }
    partitions = [
      ...new Set(raw.partitions.map((partition, i) => validatePartition(`partitions[${i}]`, partition))),
    ]
  }
  if (raw.dryRun !== undefined && typeof raw.dryRun !== 'boolean') {
    throw new ConfigError('dryRun', `expected true or false, got ${String(raw.dryRun)}`)
  }
  return { topic, partitions, to: resolveTarget(raw.to, shiftBy), dryRun: raw.dryRun !== false }
}

function resolveTarget(to: unknown, shiftBy: boolean): OffsetResetTarget {
  if (to === 'earliest' || to === 'latest') return to
  if (typeof to === 'object' && to !== null) {
    const keys = Object.keys(to)
    const value = (to as Record<string, unknown>)[keys[0] ?? '']
    if (keys.length === 1 && keys[0] === 'offset') return { offset: validateOffset('to.offset', value) }
    if (shiftBy && keys.length === 1 && keys[0] === 'shiftBy') {
      if (typeof value !== 'bigint') {
        throw new ConfigError('to.shiftBy', `expected a bigint (negative rewinds), got ${String(value)}`)
      }
      return { shiftBy: value }
    }
    if (keys.length === 1 && keys[0] === 'timestamp') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new ConfigError(
          'to.timestamp',
          `expected ms since the epoch (an integer >= 0), got ${String(value)}`,
        )
      }
      return { timestamp: value }
    }
  }
  const shapes = shiftBy
    ? "'earliest', 'latest', { timestamp: ms }, { offset: bigint } or { shiftBy: bigint }"
    : "'earliest', 'latest', { timestamp: ms } or { offset: bigint }"
  throw new ConfigError('to', `expected ${shapes}`)
}
