import { afterAll, expect, it } from 'vitest'
import { Kafka, type Producer } from '../../../src/index.ts'
import { consoleConsumer, runJavaTool } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { readAll } from '../processing/exactly-once-scenarios.ts'

// Transactions across implementations: Kafka's own TransactionalMessageCopier (the Java producer and consumer
// its system tests use) writes transactions samsa reads, and samsa's transactional run() writes
// transactions the Java console consumer reads.

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'txn-interop', logger: false })
const admin = kafka.admin()
afterAll(() => admin.close())

async function topics(count: number): Promise<{ input: string; output: string; values: string[] }> {
  const input = uniqueName('txn-interop-in')
  const output = uniqueName('txn-interop-out')
  await admin.createTopics([
    { topic: input, partitions: 1 },
    { topic: output, partitions: 1 },
  ])
  const values = Array.from({ length: count }, (_, i) => `v${i}`)
  const producer = kafka.producer({ lingerMs: 5 })
  await producer.sendBatch(values.map((value) => ({ topic: input, partition: 0, value })))
  await producer.close()
  return { input, output, values }
}

it('TransactionalMessageCopier with random aborts: samsa read_committed sees each input once in order, read_uncommitted also the aborted copies', async () => {
  const { input, output, values } = await topics(150)
  // Transactions of 5 records, a third of them aborted at random (the copier then re-copies from its
  // committed offset): with 30 committed transactions, none aborted has a chance of (2/3)^30, about 5e-6.
  const copier = await runJavaTool(
    'org.apache.kafka.tools.TransactionalMessageCopier',
    [
      '--broker-list',
      bootstrap,
      '--input-topic',
      input,
      '--input-partition',
      '0',
      '--output-topic',
      output,
      '--max-messages',
      String(values.length),
      '--transaction-size',
      '5',
      '--transactional-id',
      uniqueName('txn-interop-copier'),
      '--consumer-group',
      uniqueName('txn-interop-copier'),
      '--enable-random-aborts',
    ],
    { timeoutMs: 120_000 },
  )
  expect(copier.code, copier.stderr).toBe(0)
  expect(await readAll(kafka, output, 'read_committed', values.length)).toEqual(values)
  const uncommitted = await readAll(kafka, output, 'read_uncommitted', values.length + 1)
  expect(uncommitted.length).toBeGreaterThan(values.length)
  expect(new Set(uncommitted)).toEqual(new Set(values))
})

it("run({ transactional })'s output, with aborted units in the log, read by the Java console consumer: read_committed sees each result once", async () => {
  const { input, output, values } = await topics(30)
  const producer = kafka.producer({ transactionalId: uniqueName('txn-interop-run'), lingerMs: 0 })
  const consumer = kafka.consumer({
    groupId: uniqueName('txn-interop-run'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const failed = new Set<string>()
  const handle = await consumer.run({
    topics: [input],
    transactional: { producer },
    retry: { initialBackoffMs: 10 },
    onError: () => {},
    eachMessage: async ({ message, transaction }) => {
      const value = message.value?.toString() ?? ''
      await (transaction as Producer).send({ topic: output, value: `out-${value}` })
      // Every 4th input fails once after its output was sent: that output is aborted, then written again.
      if (Number(value.slice(1)) % 4 === 1 && !failed.has(value)) {
        failed.add(value)
        throw new Error(`failing ${value} once`)
      }
    },
  })
  const expected = values.map((value) => `out-${value}`)
  try {
    expect(await readAll(kafka, output, 'read_committed', values.length)).toEqual(expected)
  } finally {
    await handle.stop()
    await producer.close()
  }
  const committed = await consoleConsumer({
    bootstrap,
    topic: output,
    maxMessages: values.length,
    properties: { 'isolation.level': 'read_committed' },
  })
  expect(committed.map((record) => record.value)).toEqual(expected)
  // The control: read_uncommitted, the Java consumer also returns the aborted outputs.
  const uncommitted = await consoleConsumer({
    bootstrap,
    topic: output,
    maxMessages: values.length + failed.size,
    properties: { 'isolation.level': 'read_uncommitted' },
  })
  expect(uncommitted).toHaveLength(values.length + failed.size)
  expect(new Set(uncommitted.map((record) => record.value))).toEqual(new Set(expected))
})
