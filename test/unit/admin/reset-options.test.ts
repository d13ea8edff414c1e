import { describe, expect, it } from 'vitest'
import { resolveGroupResetOptions, resolveShareGroupResetOptions } from '../../../src/admin/reset-options.ts'
import { ConfigError } from '../../../src/common/errors.ts'

describe('reset options, validated at the boundary', () => {
  it('defaults dryRun to true and de-duplicates partitions', () => {
    expect(resolveGroupResetOptions({ topic: 't', to: 'earliest', partitions: [1, 0, 1] })).toEqual({
      topic: 't',
      partitions: [1, 0],
      to: 'earliest',
      dryRun: true,
    })
    expect(resolveShareGroupResetOptions({ topic: 't', to: { offset: 5n }, dryRun: false })).toEqual({
      topic: 't',
      partitions: undefined,
      to: { offset: 5n },
      dryRun: false,
    })
  })

  it('takes { shiftBy } for a consumer group only: a share group has no committed offset to shift', () => {
    expect(resolveGroupResetOptions({ topic: 't', to: { shiftBy: -3n } }).to).toEqual({ shiftBy: -3n })
    expect(() => resolveShareGroupResetOptions({ topic: 't', to: { shiftBy: -3n } })).toThrow(
      /Invalid option to: expected 'earliest', 'latest', \{ timestamp: ms \} or \{ offset: bigint \}/,
    )
  })

  it.each([
    [{ topic: 't', to: 'earliest', force: true }, 'force'],
    [{ topic: 't', to: 'earliest', partitions: [] }, 'partitions'],
    [{ topic: 't', to: 'earliest', partitions: [-1] }, 'partitions[0]'],
    [{ topic: 't', to: 'earliest', dryRun: 'no' }, 'dryRun'],
    [{ topic: 't', to: { timestamp: -1 } }, 'to.timestamp'],
    [{ topic: 't', to: { shiftBy: 1 } }, 'to.shiftBy'],
    [{ topic: 't', to: 'middle' }, 'to'],
  ])('%o is refused, naming %s', (options, option) => {
    let caught: unknown
    try {
      resolveGroupResetOptions(options)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).option).toBe(option)
  })
})
