// The example of docs/testing.md, kept in step with it; only the imports differ (source paths here, the
// package's `samsa` and `samsa/testing` there).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/index.ts'

let broker: TestBroker
let kafka: Kafka

beforeAll(async () => {
  broker = await startTestBroker({ topics: [{ topic: 'orders', partitions: 3 }] })
  kafka = new Kafka({ bootstrap: broker.bootstrap, clientId: 'billing-test', logger: false })
})

afterAll(() => broker.close())

it('commits exactly what was billed, even when the coordinator refuses the first commit', async () => {
  const producer = kafka.producer()
  await producer.sendBatch(
    Array.from({ length: 9 }, (_, i) => ({ topic: 'orders', key: `order-${i}`, value: String(i) })),
  )
  await producer.close()

  // The next OffsetCommit is answered with a retriable error, as a coordinator that is still loading does.
  const refused = broker.inject({ api: 'OffsetCommit', errorCode: 'COORDINATOR_LOAD_IN_PROGRESS', times: 1 })

  const consumer = kafka.consumer({
    groupId: 'billing',
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  consumer.subscribe(['orders'])
  let billed = 0
  while (billed < 9) billed += (await consumer.poll({ timeoutMs: 100 })).length
  await consumer.commit()
  await consumer.close()

  expect(refused.hits).toBe(1)
  const committed = broker.committedOffsets('billing')
  expect(committed.reduce((sum, c) => sum + c.offset, 0n)).toBe(9n)
})
