import { afterAll, describe, expect, it } from 'vitest'
import { Kafka, type Producer, ProducerFencedError } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'eos-run', logger: false })
const admin = kafka.admin()
afterAll(() => admin.close())

/** An input topic holding `count` inputs `m<i>` spread over its partitions, and a one-partition output topic. */
async function setup(
  count: number,
  { name = 'eos', partitions = 2 }: { name?: string; partitions?: number } = {},
): Promise<{ input: string; output: string }> {
  const input = uniqueName(`${name}-in`)
  const output = uniqueName(`${name}-out`)
  await admin.createTopics([
    { topic: input, partitions },
    { topic: output, partitions: 1 },
  ])
  const producer = kafka.producer({ lingerMs: 5 })
  await producer.sendBatch(
    Array.from({ length: count }, (_, i) => ({ topic: input, partition: i % partitions, value: `m${i}` })),
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

describe.each([
  ['eachMessage', 'classic'],
  ['eachBatch', 'classic'],
  // KIP-848: the group metadata sent with the offsets carries the member epoch instead of a generation.
  ['eachMessage', 'consumer'],
] as const)('run({ transactional }) with %s, %s group protocol', (form, groupProtocol) => {
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
      groupProtocol,
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

it.each(['eachMessage', 'eachBatch'] as const)(
  '%s: a message that keeps failing goes to the dead-letter topic inside the transaction that commits its offset',
  async (form) => {
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
      ...(form === 'eachMessage'
        ? {
            eachMessage: async ({ message, transaction }) => {
              await (transaction as Producer).send({ topic: output, value: `out-${message.value}` })
              if (message.value?.toString() === 'm2') throw new Error('poison')
            },
          }
        : {
            // The batch fails as a whole until its tries are used up; then its messages go one at a time, and
            // only the poison one is dead-lettered.
            eachBatch: async ({ batch, transaction }) => {
              for (const message of batch.messages) {
                await (transaction as Producer).send({ topic: output, value: `out-${message.value}` })
                if (message.value?.toString() === 'm2') throw new Error('poison')
              }
            },
          }),
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
  },
)

it('rebalances: a second member joins midway and the first leaves midway; each output committed exactly once', async () => {
  const count = 120
  const { input, output } = await setup(count, { name: 'eos-rebalance', partitions: 4 })
  const groupId = uniqueName('eos-rebalance')
  let handled = 0
  const member = async (name: string) => {
    const producer = kafka.producer({ transactionalId: uniqueName(`eos-rebalance-${name}`), lingerMs: 0 })
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
      onError: () => {},
      eachMessage: async ({ message, transaction }) => {
        await (transaction as Producer).send({ topic: output, value: `out-${message.value}` })
        handled++
        // Slow enough that both rebalances happen while inputs are still being processed.
        await new Promise((resolve) => setTimeout(resolve, 20))
      },
    })
    return { handle, producer }
  }
  const first = await member('first')
  let second: Awaited<ReturnType<typeof member>> | undefined
  let values: string[]
  try {
    await waitFor('20 inputs handled', () => handled >= 20)
    second = await member('second')
    await waitFor('70 inputs handled', () => handled >= 70)
    await first.handle.stop()
    values = await committedOutput(output, count)
  } finally {
    await first.handle.stop()
    await first.producer.close()
    await second?.handle.stop()
    await second?.producer.close()
  }
  expect(values).toEqual(Array.from({ length: count }, (_, i) => `out-m${i}`).sort())
}, 90_000)

it('partitionsConcurrency: 4 partitions handled at the same time share one transaction; failures abort it and every input is still committed once', async () => {
  const count = 60
  const { input, output } = await setup(count, { name: 'eos-concurrent', partitions: 4 })
  const groupId = uniqueName('eos-concurrent')
  const producer = kafka.producer({ transactionalId: uniqueName('eos-concurrent'), lingerMs: 0 })
  const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const failed = new Set<string>()
  let running = 0
  let mostAtOnce = 0
  const handle = await consumer.run({
    topics: [input],
    transactional: { producer },
    partitionsConcurrency: 4,
    retry: { initialBackoffMs: 10 },
    onError: () => {},
    eachMessage: async ({ message, transaction }) => {
      running++
      mostAtOnce = Math.max(mostAtOnce, running)
      try {
        const value = message.value?.toString() ?? ''
        await (transaction as Producer).send({ topic: output, value: `out-${value}` })
        await new Promise((resolve) => setTimeout(resolve, 10))
        // Every 7th fails once after its send: the shared transaction aborts, its siblings' outputs with it.
        if (Number(value.slice(1)) % 7 === 3 && !failed.has(value)) {
          failed.add(value)
          throw new Error(`failing ${value} once`)
        }
      } finally {
        running--
      }
    },
  })
  let values: string[]
  try {
    values = await committedOutput(output, count)
  } finally {
    await handle.stop()
    await producer.close()
  }
  expect(failed.size).toBeGreaterThan(0)
  expect(mostAtOnce).toBeGreaterThan(1)
  expect(values).toEqual(Array.from({ length: count }, (_, i) => `out-m${i}`).sort())
  const checker = kafka.consumer({ groupId })
  const committed = await checker.committed([0, 1, 2, 3].map((partition) => ({ topic: input, partition })))
  await checker.close()
  expect(committed.map((entry) => entry.offset)).toEqual([15n, 15n, 15n, 15n])
})
