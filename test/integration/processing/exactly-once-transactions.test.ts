import { afterAll, describe, expect, it } from 'vitest'
import { Kafka, type Producer, ProducerFencedError } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'eos-run', logger: false })
const admin = kafka.admin()
afterAll(() => admin.close())

async function setup(count: number): Promise<{ input: string; output: string }> {
  const input = uniqueName('eos-in')
  const output = uniqueName('eos-out')
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 1 },
  ])
  const producer = kafka.producer({ lingerMs: 5 })
  await producer.sendBatch(
    Array.from({ length: count }, (_, i) => ({ topic: input, partition: i % 2, value: `m${i}` })),
  )
  await producer.close()
  return { input, output }
}

/** The output as a read_committed reader sees it, once `expected` values arrived (and one more poll). */
async function committedOutput(topic: string, expected: number): Promise<string[]> {
  const reader = kafka.consumer({ isolationLevel: 'read_committed', autoOffsetReset: 'earliest' })
  reader.assign([{ topic, partition: 0 }])
  const values: string[] = []
  try {
    await waitFor(`${expected} committed outputs`, async () => {
      for (const message of await reader.poll({ timeoutMs: 200 }))
        values.push(message.value?.toString() ?? '')
      return values.length >= expected
    })
    for (const message of await reader.poll({ timeoutMs: 300 })) values.push(message.value?.toString() ?? '')
  } finally {
    await reader.close()
  }
  return values.sort()
}

describe.each(['eachMessage', 'eachBatch'] as const)('run({ transactional }) with %s', (form) => {
  it('commits each input output exactly once; a failed unit aborts and is re-processed from the committed offsets', async () => {
    const count = 60
    const { input, output } = await setup(count)
    const groupId = uniqueName('eos-run')
    const producer = kafka.producer({ transactionalId: uniqueName('eos-run'), lingerMs: 0 })
    const failed = new Set<string>()
    const transform = async (tx: Producer, value: string) => {
      await tx.send({ topic: output, value: `out-${value}` })
      // Every 7th input fails once, after its output was sent: the abort must hide it, and the partition
      // must be sought back, or the inputs fetched after it would be lost.
      if (Number(value.slice(1)) % 7 === 3 && !failed.has(value)) {
        failed.add(value)
        throw new Error(`failing ${value} once`)
      }
    }
    const consumer = kafka.consumer({
      groupId,
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      isolationLevel: 'read_committed',
      maxPollRecords: 10,
    })
    const handle = await consumer.run({
      topics: [input],
      transactional: { producer },
      retry: { initialBackoffMs: 10 },
      onError: () => {},
      ...(form === 'eachMessage'
        ? {
            eachMessage: ({ message, transaction }) =>
              transform(transaction as Producer, message.value!.toString()),
          }
        : {
            eachBatch: async ({ batch, transaction }) => {
              for (const message of batch.messages)
                await transform(transaction as Producer, message.value!.toString())
            },
          }),
    })
    let values: string[]
    try {
      values = await committedOutput(output, count)
    } finally {
      await handle.stop()
      await producer.close()
    }
    expect(failed.size).toBeGreaterThan(0)
    expect(values).toEqual(Array.from({ length: count }, (_, i) => `out-m${i}`).sort())
    const checker = kafka.consumer({ groupId })
    const committed = await checker.committed([
      { topic: input, partition: 0 },
      { topic: input, partition: 1 },
    ])
    await checker.close()
    expect(committed.map((entry) => entry.offset)).toEqual([30n, 30n])
  })
})

it('a fenced producer (another instance took the transactionalId over) stops the run with ProducerFencedError', async () => {
  const { input, output } = await setup(4)
  const transactionalId = uniqueName('eos-fenced')
  const producer = kafka.producer({ transactionalId, lingerMs: 0 })
  const consumer = kafka.consumer({
    groupId: uniqueName('eos-fenced'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  let handled = 0
  let release: () => void = () => {}
  const blocked = new Promise<void>((resolve) => {
    release = resolve
  })
  const successor = kafka.producer({ transactionalId, lingerMs: 0 })
  const handle = await consumer.run({
    topics: [input],
    transactional: { producer },
    onError: () => {},
    eachMessage: async ({ transaction }) => {
      handled++
      if (handled === 2) await blocked
      await (transaction as Producer).send({ topic: output, value: 'zombie' })
    },
  })
  await waitFor('the second message in its handler', () => handled >= 2)
  await successor.initTransactions() // fences the run's producer while its transaction is open
  release()
  const outcome = await handle.done.then(
    () => null,
    (error: unknown) => error,
  )
  expect(outcome).toBeInstanceOf(ProducerFencedError)
  await handle.stop().catch(() => undefined)
  await producer.close()
  await successor.close()
  // Only the first unit committed before the fencing; the zombie's open transaction never becomes visible.
  expect(await committedOutput(output, 1)).toEqual(['zombie'])
})

it('a message that keeps failing goes to the dead-letter topic inside the transaction that commits its offset', async () => {
  const { input, output } = await setup(6)
  const deadLetters = uniqueName('eos-dlt')
  await admin.createTopics([{ topic: deadLetters, partitions: 1 }])
  const producer = kafka.producer({ transactionalId: uniqueName('eos-dlt'), lingerMs: 0 })
  const consumer = kafka.consumer({
    groupId: uniqueName('eos-dlt'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [input],
    transactional: { producer },
    retry: { attempts: 2, initialBackoffMs: 10, onExhausted: 'dead-letter' },
    deadLetter: { topic: deadLetters },
    onError: () => {},
    eachMessage: async ({ message, transaction }) => {
      await (transaction as Producer).send({ topic: output, value: `out-${message.value}` })
      if (message.value?.toString() === 'm2') throw new Error('poison')
    },
  })
  let outputs: string[]
  let letters: string[]
  try {
    outputs = await committedOutput(output, 5)
    letters = await committedOutput(deadLetters, 1)
  } finally {
    await handle.stop()
    await producer.close()
  }
  // The poison message's output was aborted with each failed try; only its dead letter committed.
  expect(outputs).toEqual(['out-m0', 'out-m1', 'out-m3', 'out-m4', 'out-m5'])
  expect(letters).toEqual(['m2'])
})
