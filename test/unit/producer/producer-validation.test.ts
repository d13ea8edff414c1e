import { afterAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ClosedError, ConfigError } from '../../../src/common/errors.ts'
import { RecordTooLargeError } from '../../../src/producer/errors.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { ProducerRecord } from '../../../src/producer/types.ts'
import { rejection } from '../../../src/testing/rejection.ts'

// Validation happens before any I/O, so a cluster pointing nowhere is enough: nothing here may connect.
const cluster = Cluster.create({ bootstrap: ['127.0.0.1:1'] })

afterAll(async () => {
  await cluster.close()
})

describe('Producer construction', () => {
  it('throws ConfigError naming a bad option', () => {
    expect(() => new Producer(cluster, { lingerMs: -1 })).toThrow(ConfigError)
    expect(() => new Producer(cluster, { lingerMs: -1 })).toThrow(/producer\.lingerMs/)
    expect(() => new Producer(cluster, { acks: 1, idempotent: true })).toThrow(/producer\.acks/)
  })
})

describe('record validation', () => {
  const producer = new Producer(cluster, { maxRequestBytes: 10_000 })

  it.each([
    [{ topic: 'bad topic!', value: 'x' }, 'record.topic'],
    [{ topic: '', value: 'x' }, 'record.topic'],
    [{ topic: 't', value: 42 }, 'record.value'],
    [{ topic: 't' }, 'record.value'],
    [{ topic: 't', value: 'x', key: { id: 1 } }, 'record.key'],
    [{ topic: 't', value: 'x', partition: -1 }, 'record.partition'],
    [{ topic: 't', value: 'x', partition: 1.5 }, 'record.partition'],
    [{ topic: 't', value: 'x', timestamp: 'now' }, 'record.timestamp'],
    [{ topic: 't', value: 'x', headers: [{ key: 1, value: 'v' }] }, 'record.headers[0]'],
    [{ topic: 't', value: 'x', headers: { h: 7 } }, 'record.headers.h'],
  ])('send(%j) rejects naming %s', async (record, option) => {
    const error = await rejection(producer.send(record as unknown as ProducerRecord))
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).option).toBe(option)
  })

  it('sendBatch validates every record before sending any', async () => {
    const error = await rejection(
      producer.sendBatch([
        { topic: 't', value: 'fine' },
        { topic: 't', value: 3 } as unknown as ProducerRecord,
      ]),
    )
    expect((error as ConfigError).option).toBe('record.value')
  })

  it('rejects a record larger than maxRequestBytes with RecordTooLargeError naming the topic and size', async () => {
    const error = await rejection(producer.send({ topic: 't', partition: 2, value: Buffer.alloc(20_000) }))
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect(error).toMatchObject({ topic: 't', partition: 2, maxBytes: 10_000 })
    expect((error as RecordTooLargeError).sizeBytes).toBeGreaterThan(20_000)
    expect((error as Error).message).toMatch(/"t".*maxRequestBytes \(10000\)/)
  })

  it('rejects sends after close with ClosedError', async () => {
    const closing = new Producer(cluster)
    await closing.close()
    expect(await rejection(closing.send({ topic: 't', value: 'x' }))).toBeInstanceOf(ClosedError)
  })
})
