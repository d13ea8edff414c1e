/**
 * Validation of user-supplied options at the API boundary. Every check throws {@link ConfigError} naming the
 * option path, the value received and what is allowed, so a mistake is caught where it was made.
 */

import { ConfigError } from './errors.ts'
import type { TopicPartition } from './types.ts'

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object'
  return String(value)
}

/** An integer within [min, max]; `undefined` gives `fallback`. */
export function integerOption(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(option, `expected an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

/** A boolean; `undefined` gives `fallback`. */
export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean')
    throw new ConfigError(option, `expected true or false, got ${describe(value)}`)
  return value
}

/** A non-empty string; `undefined` gives `fallback`. */
export function stringOption(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(option, `expected a non-empty string, got ${describe(value)}`)
  }
  return value
}

/** One of a fixed set of values; `undefined` gives `fallback`. */
export function enumOption<T extends string | number>(
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T)) {
    throw new ConfigError(
      option,
      `expected one of ${allowed.map((a) => describe(a)).join(', ')}, got ${describe(value)}`,
    )
  }
  return value as T
}

/** Rejects keys the options type does not define, which are almost always typos. */
export function rejectUnknownOptions(scope: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(`${scope}.${key}`, `unknown option; known options are ${known.join(', ')}`)
    }
  }
}

/** A Kafka topic name: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function validateTopicName(option: string, topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new ConfigError(option, `expected a topic name, got ${describe(topic)}`)
  }
  if (topic.length > 249 || topic === '.' || topic === '..' || !/^[a-zA-Z0-9._-]+$/.test(topic)) {
    throw new ConfigError(
      option,
      `${describe(topic)} is not a legal topic name (1-249 characters of a-z, A-Z, 0-9, '.', '_', '-')`,
    )
  }
  return topic
}

/** A partition number (a non-negative int32). */
export function validatePartition(option: string, partition: unknown): number {
  if (
    typeof partition !== 'number' ||
    !Number.isInteger(partition) ||
    partition < 0 ||
    partition > 0x7fffffff
  ) {
    throw new ConfigError(option, `expected a partition number (integer >= 0), got ${describe(partition)}`)
  }
  return partition
}

/** An offset (a non-negative int64 as bigint). */
export function validateOffset(option: string, offset: unknown): bigint {
  if (typeof offset !== 'bigint' || offset < 0n || offset > 0x7fffffffffffffffn) {
    throw new ConfigError(option, `expected an offset as a bigint >= 0n, got ${describe(offset)}`)
  }
  return offset
}

/** A list of `{ topic, partition }`, each entry checked; `option` names the list (`assign`, `pause`...). */
export function validateTopicPartitions(option: string, partitions: unknown): readonly TopicPartition[] {
  if (!Array.isArray(partitions)) {
    throw new ConfigError(option, `expected an array of { topic, partition }, got ${describe(partitions)}`)
  }
  partitions.forEach((tp: Partial<TopicPartition> | null | undefined, i) => {
    validateTopicName(`${option}[${i}].topic`, tp?.topic)
    validatePartition(`${option}[${i}].partition`, tp?.partition)
  })
  return partitions
}
