import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { runConsumer } from '../../../src/processing/index.ts'

const bootstrap = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:9092'

function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve()
      else if (Date.now() > deadline) reject(new Error('timed out'))
      else setTimeout(check, 20)
    }
    check()
  })
}

it('before-processing marks before the handler: a failed message is not retried and a restart repeats nothing', async () => {
  const id = randomUUID().slice(0, 8)
  const topic = `at-most-once-${id}`
  const groupId = `at-most-once-${id}`
  const kafka = new Kafka({ bootstrap, clientId: 'processing-test' })
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 1 }])
  await admin.close()
  const producer = kafka.producer()
  for (let i = 0; i < 6; i++) await producer.send({ topic, value: `m${i}` })
  await producer.close()

  const deliveries: string[] = []
  const errors: unknown[] = []
  const first = await runConsumer(
    kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' }),
    {
      topics: [topic],
      ack: 'before-processing',
      onError: (error) => errors.push(error),
      eachMessage: async ({ message }) => {
        deliveries.push(String(message.value))
        if (String(message.value) === 'm3') throw new Error('lost on purpose')
      },
    },
  )
  await until(() => deliveries.length >= 6)
  await first.stop()
  expect(errors).toHaveLength(1)

  const producer2 = kafka.producer()
  await producer2.send({ topic, value: 'm6' })
  await producer2.close()
  const second = await runConsumer(
    kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' }),
    {
      topics: [topic],
      ack: 'before-processing',
      eachMessage: async ({ message }) => {
        deliveries.push(String(message.value))
      },
    },
  )
  await until(() => deliveries.length >= 7)
  // Give a duplicate, were there one, time to show up.
  await new Promise((resolve) => setTimeout(resolve, 500))
  await second.stop()
  expect(deliveries).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'])
}, 120_000)
