import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import { type ProducerOptions, resolveProducerOptions } from '../../../src/producer/producer-options.ts'
import { RecordBatchBuilder } from '../../../src/protocol/records/batch-builder.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'

function configError(options: unknown): ConfigError {
  try {
    resolveProducerOptions(options as ProducerOptions)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('transactional producer options', () => {
  it('makes a transactional producer idempotent with a 60 s transaction timeout by default', () => {
    const options = resolveProducerOptions({ transactionalId: 'orders-enricher' })
    expect(options.transactionalId).toBe('orders-enricher')
    expect(options.idempotent).toBe(true)
    expect(options.transactionTimeoutMs).toBe(60_000)
    expect(
      resolveProducerOptions({ transactionalId: 'x', transactionTimeoutMs: 5000 }).transactionTimeoutMs,
    ).toBe(5000)
  })

  it('names the option that contradicts transactions', () => {
    expect(configError({ transactionalId: 'x', idempotent: false }).option).toBe('producer.idempotent')
    expect(configError({ transactionalId: 'x', acks: 1 }).option).toBe('producer.acks')
    expect(configError({ transactionalId: 'x', maxInFlightRequests: 6 }).option).toBe(
      'producer.maxInFlightRequests',
    )
    expect(configError({ transactionalId: '' }).option).toBe('producer.transactionalId')
    expect(configError({ transactionalId: 42 }).option).toBe('producer.transactionalId')
    expect(configError({ transactionalId: 'x', transactionTimeoutMs: 0 }).option).toBe(
      'producer.transactionTimeoutMs',
    )
  })
})

describe('transactional batches', () => {
  it('stamping sets and clears the transactional attribute bit under a valid CRC', async () => {
    const builder = new RecordBatchBuilder(1024)
    builder.append({ timestamp: 1, key: null, value: Buffer.from('v'), headers: null })
    builder.seal(0)
    const transactional = await decodeRecordBatches(
      Buffer.from(builder.stamp({ producerId: 7n, producerEpoch: 2, baseSequence: 0, transactional: true })),
    )
    expect(transactional.batches[0]!.isTransactional).toBe(true)
    expect(transactional.batches[0]!.producerId).toBe(7n)
    const plain = await decodeRecordBatches(
      builder.stamp({ producerId: 7n, producerEpoch: 2, baseSequence: 0, transactional: false }),
    )
    expect(plain.batches[0]!.isTransactional).toBe(false)
  })
})
