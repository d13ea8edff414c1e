import { expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'backpressure', logger: false })

it('a partition whose handler lags pauses at maxBufferedBytesPerPartition while the others flow, then resumes', async () => {
  const topic = uniqueName('backpressure')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 2 }])
  await admin.close()
  const producer = kafka.producer()
  const value = 'x'.repeat(1024)
  await producer.sendBatch(Array.from({ length: 300 }, () => ({ topic, partition: 0, value })))
  await producer.sendBatch(Array.from({ length: 50 }, () => ({ topic, partition: 1, value })))
  await producer.close()

  let release!: () => void
  const blocked = new Promise<void>((resolve) => {
    release = resolve
  })
  const handled = [0, 0]
  const consumer = kafka.consumer({
    groupId: uniqueName('backpressure'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    maxPartitionFetchBytes: 16 * 1024,
  })
  const handle = await consumer.run({
    topics: [topic],
    partitionsConcurrency: 2,
    maxBufferedBytesPerPartition: 32 * 1024,
    eachMessage: async ({ message }) => {
      if (message.partition === 0) await blocked
      handled[message.partition]!++
    },
  })
  try {
    await waitFor('partition 1 handled while partition 0 is stuck', () => handled[1] === 50)
    await waitFor('partition 0 paused at its byte bound', () =>
      consumer.paused().some((tp) => tp.topic === topic && tp.partition === 0),
    )
    expect(handled[0]).toBe(0)
    release()
    await waitFor('partition 0 handled after it resumed', () => handled[0] === 300)
    expect(consumer.paused()).toEqual([])
  } finally {
    release()
    await handle.stop()
  }
})

it('at maxBufferedBytes every partition pauses, however far each is from its own bound, and all resume once it drains', async () => {
  const topic = uniqueName('backpressure-all')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 2 }])
  await admin.close()
  const producer = kafka.producer()
  const value = 'x'.repeat(1024)
  for (const partition of [0, 1]) {
    await producer.sendBatch(Array.from({ length: 200 }, () => ({ topic, partition, value })))
  }
  await producer.close()

  let release!: () => void
  const blocked = new Promise<void>((resolve) => {
    release = resolve
  })
  let handled = 0
  const consumer = kafka.consumer({
    groupId: uniqueName('backpressure-all'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    maxPartitionFetchBytes: 16 * 1024,
  })
  const handle = await consumer.run({
    topics: [topic],
    partitionsConcurrency: 2,
    // The per-partition bound (1 MiB) is never reached; the consumer-wide one (48 KiB) is.
    maxBufferedBytesPerPartition: 1024 * 1024,
    maxBufferedBytes: 48 * 1024,
    eachMessage: async () => {
      await blocked
      handled++
    },
  })
  try {
    await waitFor('both partitions paused at the consumer-wide bound', () =>
      [0, 1].every((partition) =>
        consumer.paused().some((tp) => tp.topic === topic && tp.partition === partition),
      ),
    )
    expect(handled).toBe(0)
    // Paused with far less than 200 KiB of each partition fetched.
    for (const partition of [0, 1]) expect(consumer.position({ topic, partition })).toBeLessThan(200n)
    release()
    await waitFor('every record handled after the pause', () => handled === 400)
    expect(consumer.paused()).toEqual([])
  } finally {
    release()
    await handle.stop()
  }
})
