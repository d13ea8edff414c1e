import { afterAll, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { TransactionOutcomeUnknownError } from '../../../src/common/errors.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { EndTxn } from '../../../src/protocol/messages/end-txn.ts'
import { FrameProxy } from '../../../src/testing/frame-proxy.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

const topics = new TestTopics('outcome-unknown-test')
const proxy = new FrameProxy()
const proxied = new Cluster({
  ...resolveClientOptions({ bootstrap: kafkaBootstrap(), clientId: 'outcome-unknown-test' }),
  socketFactory: proxy.socketFactory,
})

afterAll(async () => {
  await proxied.close()
  await proxy.close()
  await topics.close()
})

/** Reads `topic` (one partition) read_committed until `expected` values came, then once more. */
async function committedValues(topic: string, expected: number): Promise<string[]> {
  const consumer = new Consumer(topics.cluster, {
    isolationLevel: 'read_committed',
    autoOffsetReset: 'earliest',
  })
  consumer.assign([{ topic, partition: 0 }])
  const values: string[] = []
  const deadline = Date.now() + 20_000
  try {
    while (values.length < expected && Date.now() < deadline) {
      for (const message of await consumer.poll({ timeoutMs: 500 })) values.push(message.value!.toString())
    }
    for (const message of await consumer.poll({ timeoutMs: 500 })) values.push(message.value!.toString())
  } finally {
    await consumer.close()
  }
  return values
}

it('an EndTxn whose response is lost is not retried: TransactionOutcomeUnknownError, then abort re-initialises', async () => {
  const topic = await topics.create('outcome-unknown')
  const producer = new Producer(proxied, {
    transactionalId: uniqueName('outcome-unknown'),
    lingerMs: 0,
    requestTimeoutMs: 1_500,
    deliveryTimeoutMs: 10_000,
  })
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send({ topic, value: 'a' })
    proxy.dropResponses(EndTxn.apiKey)
    const failure = await producer.commitTransaction().then(
      () => null,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(TransactionOutcomeUnknownError)
    // The commit went out exactly once: no retry could commit a torn or a second transaction.
    expect(proxy.dropped).toEqual([EndTxn.apiKey])
    expect(producer.transactionState).toBe('abortable-error')

    await producer.abortTransaction()
    expect(producer.transactionState).toBe('ready')
    producer.beginTransaction()
    await producer.send({ topic, value: 'b' })
    await producer.commitTransaction()
  } finally {
    await producer.close()
  }
  // The lost EndTxn had reached the coordinator: 'a' committed, and the re-initialisation did not undo it.
  expect(await committedValues(topic, 2)).toEqual(['a', 'b'])
})

it('close() aborts the open transaction, so read_committed readers are not held up until its timeout', async () => {
  const topic = await topics.create('close-aborts')
  const producer = new Producer(topics.cluster, {
    transactionalId: uniqueName('close-aborts'),
    lingerMs: 0,
    transactionTimeoutMs: 600_000,
  })
  await producer.initTransactions()
  producer.beginTransaction()
  await producer.send({ topic, value: 'open' })
  await producer.close()
  expect(producer.transactionState).toBe('ready')

  const plain = new Producer(topics.cluster, { lingerMs: 0 })
  await plain.send({ topic, value: 'after' })
  await plain.close()
  // Left open, the transaction would hold the last stable offset below 'after' for ten minutes.
  expect(await committedValues(topic, 1)).toEqual(['after'])
})
