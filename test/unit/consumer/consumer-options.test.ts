import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import { type ConsumerOptions, resolveConsumerOptions } from '../../../src/consumer/consumer-options.ts'

describe('resolveConsumerOptions', () => {
  it('applies the Java client defaults', () => {
    expect(resolveConsumerOptions()).toEqual({
      autoOffsetReset: 'latest',
      isolationLevel: 'read_uncommitted',
      fetchMinBytes: 1,
      fetchMaxBytes: 52_428_800,
      maxPartitionFetchBytes: 1_048_576,
      fetchMaxWaitMs: 500,
      maxPollRecords: 500,
      maxBufferedBytes: 4 * 1024 * 1024,
      retryBackoffMs: 100,
      clientRack: undefined,
    })
  })

  it.each([
    [{ autoOffsetReset: 'smallest' }, 'consumer.autoOffsetReset'],
    [{ isolationLevel: 'committed' }, 'consumer.isolationLevel'],
    [{ maxPollRecords: 0 }, 'consumer.maxPollRecords'],
    [{ fetchMaxBytes: 1.5 }, 'consumer.fetchMaxBytes'],
    [{ fetchMaxWaitMs: -1 }, 'consumer.fetchMaxWaitMs'],
    [{ autoOffsetRest: 'earliest' }, 'consumer.autoOffsetRest'],
  ])('rejects %o naming %s', (options, option) => {
    let thrown: unknown
    try {
      resolveConsumerOptions(options as ConsumerOptions)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as ConfigError).option).toBe(option)
  })

  it('accepts the group options the group coordinator validates', () => {
    expect(resolveConsumerOptions({ groupId: 'g', enableAutoCommit: false }).autoOffsetReset).toBe('latest')
  })
})
