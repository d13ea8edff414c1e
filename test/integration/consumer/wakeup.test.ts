import { afterAll, describe, expect, it } from 'vitest'
import { Kafka, WakeupError } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'

const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'wakeup-test', logger: false })
const admin = kafka.admin()
const topic = uniqueName('wakeup')

afterAll(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined)
  await admin.close()
})

describe('wakeup() and abort signals', () => {
  it('a waiting poll throws WakeupError at wakeup(), a poll after it at once, and the consumer stays usable', async () => {
    await admin.createTopics([{ topic, partitions: 1 }])
    const consumer = kafka.consumer({ groupId: uniqueName('wakeup'), enableAutoCommit: false })
    consumer.subscribe([topic])
    try {
      const waiting = consumer.poll({ timeoutMs: 30_000 })
      setTimeout(() => consumer.wakeup(), 500)
      await expect(waiting).rejects.toBeInstanceOf(WakeupError)
      // Not waiting: the next read throws, once.
      consumer.wakeup()
      await expect(consumer.poll({ timeoutMs: 0 })).rejects.toBeInstanceOf(WakeupError)
      await expect(consumer.poll({ timeoutMs: 0 })).resolves.toEqual([])
    } finally {
      await consumer.close()
    }
  })

  it('poll({ signal }) and messages({ signal }) throw WakeupError when the signal aborts', async () => {
    const consumer = kafka.consumer({ groupId: uniqueName('wakeup-signal'), enableAutoCommit: false })
    consumer.subscribe([topic])
    try {
      await expect(
        consumer.poll({ timeoutMs: 30_000, signal: AbortSignal.timeout(300) }),
      ).rejects.toBeInstanceOf(WakeupError)
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 300)
      const reading = (async () => {
        for await (const _ of consumer.messages({ signal: controller.signal })) {
          // The topic is empty: nothing arrives before the abort.
        }
      })()
      await expect(reading).rejects.toBeInstanceOf(WakeupError)
    } finally {
      await consumer.close()
    }
  })
})
