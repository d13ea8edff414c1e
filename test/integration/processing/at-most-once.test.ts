import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { runConsumer } from '../../../src/processing/index.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { sleep, waitFor } from '../../../src/testing/wait-for.ts'

const bootstrap = kafkaBootstrap()

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
  await waitFor('six deliveries', () => deliveries.length >= 6)
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
  await waitFor('a seventh delivery after the restart', () => deliveries.length >= 7)
  // Give a duplicate, were there one, time to show up.
  await sleep(500)
  await second.stop()
  expect(deliveries).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'])
}, 120_000)
