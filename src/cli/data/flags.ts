/**
 * Parsers for the data commands' flag values. Each throws commander's InvalidArgumentError, so a bad value
 * stops the command before it connects anywhere, with a message naming the flag and the value.
 */

import { InvalidArgumentError } from 'commander'

/** `KAFKA_BOOTSTRAP`, then the local dev broker. */
export function defaultBootstrap(): string {
  const fromEnv = process.env.KAFKA_BOOTSTRAP
  return fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : '127.0.0.1:9092'
}

function integerIn(value: string, min: number, max: number, what: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected ${what}, got "${value}"`)
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new InvalidArgumentError(`expected ${what}, got "${value}"`)
  }
  return parsed
}

/** A count of records: an integer >= 1. */
export function parsePositiveInteger(value: string): number {
  return integerIn(value, 1, Number.MAX_SAFE_INTEGER, 'an integer >= 1')
}

/** A size or duration that may be zero. */
export function parseNonNegativeInteger(value: string): number {
  return integerIn(value, 0, Number.MAX_SAFE_INTEGER, 'an integer >= 0')
}

/** A partition number. */
export function parsePartition(value: string): number {
  return integerIn(value, 0, 0x7fffffff, 'a partition number (integer >= 0)')
}

/** A replication factor (int16 on the wire). */
export function parseReplicationFactor(value: string): number {
  return integerIn(value, 1, 0x7fff, 'an integer from 1 to 32767')
}

/** An offset: a non-negative int64. */
export function parseOffset(value: string): bigint {
  if (!/^\d+$/.test(value.trim()))
    throw new InvalidArgumentError(`expected an offset (integer >= 0), got "${value}"`)
  const offset = BigInt(value.trim())
  if (offset > 0x7fffffffffffffffn)
    throw new InvalidArgumentError(`offset "${value}" is larger than an int64`)
  return offset
}

/** Milliseconds since the epoch, or an ISO-8601 date (`2024-05-01T12:00:00Z`). */
export function parseTimestamp(value: string): number {
  const text = value.trim()
  const parsed = /^\d+$/.test(text)
    ? Number(text)
    : /^\d{4}-\d\d-\d\d/.test(text)
      ? Date.parse(text)
      : Number.NaN
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError(
      `expected milliseconds since the epoch or an ISO-8601 date, got "${value}"`,
    )
  }
  return parsed
}

/** A non-empty separator string. */
export function parseSeparator(value: string): string {
  if (value === '') throw new InvalidArgumentError('the separator must not be empty')
  return value
}

/** Collects repeated `--config name=value` flags into one record. */
export function collectConfig(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`)
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) }
}
