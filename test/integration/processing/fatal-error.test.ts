import { afterAll, expect, it } from 'vitest'
import { NoOffsetForPartitionError } from '../../../src/consumer/no-offset-error.ts'
import { Kafka } from '../../../src/index.ts'
import { runConsumer } from '../../../src/processing/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { sleep } from '../../../src/testing/wait-for.ts'

const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'processing-fatal-test' })
const admin = kafka.admin()
const topic = uniqueName('processing-fatal')

afterAll(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined)
  await admin.close()
})

it('a run ended by a fatal poll error rejects done with it and leaves no unhandled rejection', async () => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    await admin.createTopics([{ topic, partitions: 1 }])
    // No committed offset and autoOffsetReset 'none': the first poll fails, and nothing can retry that.
    const consumer = kafka.consumer({
      groupId: uniqueName('processing-fatal'),
      enableAutoCommit: false,
      autoOffsetReset: 'none',
    })
    const handle = await runConsumer(consumer, { topics: [topic], eachMessage: async () => {} })
    await expect(handle.done).rejects.toBeInstanceOf(NoOffsetForPartitionError)
    // Unhandled rejections are reported after the microtask queue drains; give them a turn of the loop
    // before anything here touches the stop() promise (which would mark it handled).
    await sleep(100)
    expect(unhandled).toEqual([])
    await expect(handle.stop()).rejects.toBeInstanceOf(NoOffsetForPartitionError)
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
}, 60_000)
