import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import {
  parseOffset,
  parsePartition,
  parsePositiveInteger,
  parseTimestamp,
} from '../../../src/cli/data/flags.ts'

describe('data command flag parsers', () => {
  it('parses counts and rejects non-numbers, zero and fractions', () => {
    expect(parsePositiveInteger('100000')).toBe(100_000)
    for (const bad of ['abc', '0', '-3', '1.5', '', '1e3']) {
      expect(() => parsePositiveInteger(bad), bad).toThrow(InvalidArgumentError)
    }
  })

  it('parses offsets as bigint and rejects negative ones', () => {
    expect(parseOffset('9007199254740993')).toBe(9_007_199_254_740_993n)
    expect(() => parseOffset('-5')).toThrow(/-5/)
    expect(() => parseOffset('9223372036854775808')).toThrow(InvalidArgumentError)
  })

  it('parses partitions', () => {
    expect(parsePartition('0')).toBe(0)
    expect(() => parsePartition('-1')).toThrow(InvalidArgumentError)
  })

  it('parses timestamps given as milliseconds or ISO-8601', () => {
    expect(parseTimestamp('1700000000000')).toBe(1_700_000_000_000)
    expect(parseTimestamp('2024-05-01T12:00:00Z')).toBe(Date.UTC(2024, 4, 1, 12))
    expect(() => parseTimestamp('yesterday')).toThrow(/yesterday/)
    expect(() => parseTimestamp('-1')).toThrow(InvalidArgumentError)
  })
})
