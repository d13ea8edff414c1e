import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import { NackMessage } from '../../../src/processing/outcomes.ts'
import { resolveRunOptions } from '../../../src/processing/run-options.ts'

const eachMessage = async () => {}

describe('resolveRunOptions', () => {
  it('applies defaults: after-success, 5 s commits, one partition at a time, 5 tries', () => {
    const options = resolveRunOptions({ eachMessage })
    expect(options).toMatchObject({
      ack: 'after-success',
      everyMs: 5000,
      everyMessages: undefined,
      partitionsConcurrency: 1,
      attempts: 5,
      handleSignals: false,
    })
    expect(options.handler.kind).toBe('message')
  })

  it.each([
    [{ eachMessage, ack: 'later' }, 'run.ack'],
    [{ eachMessage, commit: { everyMessages: 0 } }, 'run.commit.everyMessages'],
    [{ eachMessage, commit: { everyTime: 1 } }, 'run.commit.everyTime'],
    [{ eachMessage, partitionsConcurrency: 1.5 }, 'run.partitionsConcurrency'],
    [{ eachMessage, retry: { initialBackoffMs: 500, maxBackoffMs: 100 } }, 'run.retry.maxBackoffMs'],
    [{ eachMessage, topics: 'orders' }, 'run.topics'],
    [{ eachMessage, onShutdown: 'flush' }, 'run.onShutdown'],
    [{ eachMessage, autoCommit: true }, 'run.autoCommit'],
    [{}, 'run.eachMessage'],
    [{ eachMessage, eachBatch: eachMessage }, 'run.eachBatch'],
    [{ eachMessage, retry: { jitter: 1.5 } }, 'run.retry.jitter'],
    [{ eachBatch: eachMessage, ordering: 'key' }, 'run.ordering'],
    [{ eachMessage, ordering: 'offset' }, 'run.ordering'],
    [{ eachMessage, maxInFlightPerPartition: 0 }, 'run.maxInFlightPerPartition'],
    [{ eachMessage, retry: { onExhausted: 'drop' } }, 'run.retry.onExhausted'],
    [{ eachMessage, retry: { onExhausted: 'dead-letter' } }, 'run.retry.onExhausted'],
    [{ eachMessage, retry: { retriable: true } }, 'run.retry.retriable'],
    [{ eachMessage, deadLetter: { topic: '' } }, 'run.deadLetter.topic'],
    [{ eachMessage, deadLetter: { topic: 'dlt', producer: {} } }, 'run.deadLetter.producer'],
  ])('rejects %o naming %s', (options, option) => {
    let thrown: unknown
    try {
      resolveRunOptions(options as never)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as ConfigError).option).toBe(option)
  })

  it('validates a nack delay', () => {
    expect(new NackMessage({ delayMs: 250 }).delayMs).toBe(250)
    expect(() => new NackMessage({ delayMs: -1 })).toThrow(ConfigError)
  })
})
