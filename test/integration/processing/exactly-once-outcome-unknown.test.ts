import { afterAll, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Kafka, type Producer as ProducerType } from '../../../src/index.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { EndTxn } from '../../../src/protocol/messages/end-txn.ts'
import { FrameProxy } from '../../../src/testing/frame-proxy.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { readAll } from './exactly-once-scenarios.ts'

// The run's producer talks to the broker through a proxy that can lose responses: an EndTxn that commits
// while the run never hears of it is the indefinite outcome a network partition produces.
const proxy = new FrameProxy()
const proxied = new Cluster({
  ...resolveClientOptions({ bootstrap: kafkaBootstrap(), clientId: 'eos-outcome-unknown' }),
  socketFactory: proxy.socketFactory,
})
const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'eos-outcome-unknown', logger: false })

afterAll(async () => {
  await proxied.close()
  await proxy.close()
})

it('run({ transactional }): a unit whose EndTxn response is lost is not processed again when it did commit', async () => {
  const count = 12
  const input = uniqueName('eos-unknown-in')
  const output = uniqueName('eos-unknown-out')
  const admin = kafka.admin()
  await admin.createTopics([
    { topic: input, partitions: 1 },
    { topic: output, partitions: 1 },
  ])
  await admin.close()
  const seed = kafka.producer({ lingerMs: 0 })
  await seed.sendBatch(
    Array.from({ length: count }, (_, i) => ({ topic: input, partition: 0, value: `m${i}` })),
  )
  await seed.close()

  const producer = new Producer(proxied, {
    transactionalId: uniqueName('eos-unknown'),
    lingerMs: 0,
    requestTimeoutMs: 1_500,
    deliveryTimeoutMs: 10_000,
  })
  const groupId = uniqueName('eos-unknown')
  const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const handled: string[] = []
  const handle = await consumer.run({
    topics: [input],
    transactional: { producer: producer as ProducerType },
    retry: { initialBackoffMs: 10 },
    onError: () => {},
    eachMessage: async ({ message, transaction }) => {
      const value = message.value?.toString() ?? ''
      handled.push(value)
      await (transaction as ProducerType).send({ topic: output, value: `out-${value}` })
      // m4's commit reaches the coordinator, its answer does not: TransactionOutcomeUnknownError.
      if (value === 'm4' && proxy.dropped.length === 0) proxy.dropResponses(EndTxn.apiKey)
    },
  })
  let values: string[]
  try {
    values = await readAll(kafka, output, 'read_committed', count)
  } finally {
    await handle.stop()
    await producer.close()
  }
  expect(proxy.dropped).toEqual([EndTxn.apiKey])
  // The run aborted (re-initialising the producer), read the committed offset back, found m4 committed and
  // went on from m5: nothing is handled twice, nothing is output twice.
  expect(handled).toEqual(Array.from({ length: count }, (_, i) => `m${i}`))
  expect(values).toEqual(Array.from({ length: count }, (_, i) => `out-m${i}`))
})
