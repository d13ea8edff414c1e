import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import { type ProducerOptions, resolveProducerOptions } from '../../../src/producer/producer-options.ts'

function configErrorOf(options: unknown): ConfigError {
  try {
    resolveProducerOptions(options as ProducerOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`)
}

describe('resolveProducerOptions', () => {
  it('applies the Java client defaults', () => {
    expect(resolveProducerOptions()).toEqual({
      acks: -1,
      idempotent: true,
      lingerMs: 5,
      batchBytes: 16_384,
      bufferMemoryBytes: 32 * 1024 * 1024,
      maxBlockMs: 60_000,
      maxRequestBytes: 1_048_576,
      deliveryTimeoutMs: 120_000,
      requestTimeoutMs: 30_000,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 1000,
      maxInFlightRequests: 5,
      compression: 'none',
      partitioner: undefined,
      transactionalId: null,
      transactionTimeoutMs: 60_000,
    })
  })

  it("maps acks 'all' to -1 and keeps 0 and 1", () => {
    expect(resolveProducerOptions({ acks: 'all' }).acks).toBe(-1)
    expect(resolveProducerOptions({ acks: 1 }).acks).toBe(1)
    expect(resolveProducerOptions({ acks: 0 }).acks).toBe(0)
  })

  it('turns idempotence off when left unset and acks or in-flight requests rule it out', () => {
    expect(resolveProducerOptions({ acks: 1 }).idempotent).toBe(false)
    expect(resolveProducerOptions({ acks: 0 }).idempotent).toBe(false)
    expect(resolveProducerOptions({ maxInFlightRequests: 6 }).idempotent).toBe(false)
  })

  it.each([
    [{ acks: 2 }, 'producer.acks'],
    [{ acks: 'leader' }, 'producer.acks'],
    [{ idempotent: true, acks: 1 }, 'producer.acks'],
    [{ idempotent: true, maxInFlightRequests: 6 }, 'producer.maxInFlightRequests'],
    [{ idempotent: 'yes' }, 'producer.idempotent'],
    [{ lingerMs: -1 }, 'producer.lingerMs'],
    [{ lingerMs: 1.5 }, 'producer.lingerMs'],
    [{ batchBytes: 0 }, 'producer.batchBytes'],
    [{ bufferMemoryBytes: '32MB' }, 'producer.bufferMemoryBytes'],
    [{ maxBlockMs: -5 }, 'producer.maxBlockMs'],
    [{ maxRequestBytes: 0 }, 'producer.maxRequestBytes'],
    [{ requestTimeoutMs: 0 }, 'producer.requestTimeoutMs'],
    [{ deliveryTimeoutMs: 1000, requestTimeoutMs: 30_000 }, 'producer.deliveryTimeoutMs'],
    [{ retryBackoffMs: 500, retryBackoffMaxMs: 100 }, 'producer.retryBackoffMaxMs'],
    [{ maxInFlightRequests: 0 }, 'producer.maxInFlightRequests'],
    [{ compression: 'brotli' }, 'producer.compression'],
    [{ partitioner: 3 }, 'producer.partitioner'],
    [{ lingerMS: 5 }, 'producer.lingerMS'],
  ])('rejects %j naming %s', (options, option) => {
    const error = configErrorOf(options)
    expect(error.option).toBe(option)
    expect(error.message).toContain(option)
  })

  it('rejects a non-object', () => {
    expect(configErrorOf('fast').option).toBe('producer')
  })
})
