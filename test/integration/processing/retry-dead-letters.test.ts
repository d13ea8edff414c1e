import { expect, it } from 'vitest'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { Kafka } from '../../../src/index.ts'
import { deadLetterHeaders } from '../../../src/processing/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'retry-dead-letters', logger: false })

async function setup(partitions: number, perPartition: number, extraTopics: string[] = []): Promise<string> {
  const topic = uniqueName('retry')
  const admin = kafka.admin()
  await admin.createTopics([topic, ...extraTopics].map((t) => ({ topic: t, partitions })))
  await admin.close()
  const producer = kafka.producer()
  for (let p = 0; p < partitions; p++) {
    await producer.sendBatch(
      Array.from({ length: perPartition }, (_, i) => ({
        topic,
        partition: p,
        key: `k${i}`,
        value: `p${p}-m${i}`,
        headers: { trace: `t${i}` },
      })),
    )
  }
  await producer.close()
  return topic
}

function header(message: ConsumerMessage, key: string): string | undefined {
  return message.headers.find((h) => h.key === key)?.value?.toString()
}

it.each(['partition', 'none'] as const)(
  "ordering '%s': a poison record ends in the dead-letter topic with its origin and error, and its partition keeps going",
  async (ordering) => {
    const dlt = uniqueName('retry-dlt')
    const topic = await setup(2, 20, [dlt])
    const groupId = uniqueName('retry-dlt')
    const handled = new Set<string>()
    const attempts: number[] = []
    const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    const handle = await consumer.run({
      topics: [topic],
      ordering,
      partitionsConcurrency: 2,
      commit: { everyMs: 100 },
      retry: { attempts: 3, initialBackoffMs: 20, onExhausted: 'dead-letter' },
      deadLetter: { topic: dlt },
      eachMessage: ({ message }) => {
        const value = String(message.value)
        if (value === 'p0-m5') {
          attempts.push(Date.now())
          throw new TypeError('cannot bill p0-m5')
        }
        handled.add(value)
      },
    })
    try {
      await waitFor('every other record handled', () => handled.size === 39)
      await waitFor('both partitions committed to their end', async () => {
        const committed = await consumer.committed([
          { topic, partition: 0 },
          { topic, partition: 1 },
        ])
        return committed.every((c) => c.offset === 20n)
      })
    } finally {
      await handle.stop()
    }
    expect(attempts).toHaveLength(3)
    expect(handled.has('p0-m6')).toBe(true)

    const reader = kafka.consumer({ autoOffsetReset: 'earliest' })
    try {
      reader.assign([
        { topic: dlt, partition: 0 },
        { topic: dlt, partition: 1 },
      ])
      const letters: ConsumerMessage[] = []
      await waitFor('the dead letter', async () => {
        letters.push(...(await reader.poll({ timeoutMs: 200 })))
        return letters.length > 0
      })
      const [letter] = letters
      expect(letters).toHaveLength(1)
      expect(String(letter!.key)).toBe('k5')
      expect(String(letter!.value)).toBe('p0-m5')
      expect(header(letter!, 'trace')).toBe('t5')
      expect(header(letter!, deadLetterHeaders.originalTopic)).toBe(topic)
      expect(header(letter!, deadLetterHeaders.originalPartition)).toBe('0')
      expect(header(letter!, deadLetterHeaders.originalOffset)).toBe('5')
      expect(Number(header(letter!, deadLetterHeaders.originalTimestamp))).toBeGreaterThan(0)
      expect(header(letter!, deadLetterHeaders.errorClass)).toBe('TypeError')
      expect(header(letter!, deadLetterHeaders.errorMessage)).toBe('cannot bill p0-m5')
      expect(header(letter!, deadLetterHeaders.attempts)).toBe('3')
    } finally {
      await reader.close()
    }
  },
)

it('a failure retry.retriable rejects is not tried again; skip marks it and the partition goes on', async () => {
  const topic = await setup(1, 10)
  const tries = new Map<string, number>()
  const rejected: string[] = []
  const consumer = kafka.consumer({
    groupId: uniqueName('retry-skip'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    commit: { everyMs: 100 },
    retry: {
      attempts: 4,
      initialBackoffMs: 10,
      retriable: (error) => !(error instanceof SyntaxError),
      onExhausted: 'skip',
    },
    onRejected: (message) => rejected.push(String(message.value)),
    eachMessage: ({ message }) => {
      const value = String(message.value)
      const n = (tries.get(value) ?? 0) + 1
      tries.set(value, n)
      if (value === 'p0-m2') throw new SyntaxError('malformed')
      // A transient failure: fails twice, then succeeds.
      if (value === 'p0-m4' && n < 3) throw new Error('try again')
    },
  })
  try {
    await waitFor('the last record handled', () => tries.has('p0-m9'))
    await waitFor('the partition committed to its end', async () => {
      const [committed] = await consumer.committed([{ topic, partition: 0 }])
      return committed?.offset === 10n
    })
  } finally {
    await handle.stop()
  }
  expect(tries.get('p0-m2')).toBe(1)
  expect(tries.get('p0-m4')).toBe(3)
  expect(rejected).toEqual(['p0-m2'])
})

it('while a record waits out its backoff (twice maxPollIntervalMs), other partitions flow and the member keeps its partitions', async () => {
  const topic = await setup(2, 20)
  const groupId = uniqueName('retry-hold')
  const handled: string[] = []
  const rebalances: string[] = []
  let p0Tries = 0
  const consumer = kafka.consumer({
    groupId,
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    // Far shorter than the backoff: a wait that blocked polling would cost the member its partitions.
    maxPollIntervalMs: 2000,
  })
  const handle = await consumer.run({
    topics: [topic],
    partitionsConcurrency: 2,
    retry: { attempts: 2, initialBackoffMs: 4000, jitter: 0 },
    rebalanceListener: {
      onPartitionsRevoked: (partitions) => {
        rebalances.push(`revoked ${partitions.length}`)
      },
      onPartitionsLost: (partitions) => {
        rebalances.push(`lost ${partitions.length}`)
      },
    },
    eachMessage: ({ message }) => {
      const value = String(message.value)
      if (value === 'p0-m0' && ++p0Tries === 1) throw new Error('first try fails')
      handled.push(value)
    },
  })
  try {
    // Partition 1 finishes while partition 0's first record still waits for its second try.
    await waitFor('partition 1 handled', () => handled.filter((v) => v.startsWith('p1-')).length === 20)
    expect(handled.some((v) => v.startsWith('p0-'))).toBe(false)
    expect(p0Tries).toBe(1)
    await waitFor('partition 0 handled after the backoff', () => handled.length === 40)
    // Leaving the group at stop() revokes; nothing before it may have.
    expect(rebalances).toEqual([])
  } finally {
    await handle.stop()
  }
  expect(p0Tries).toBe(2)
  expect(handled.filter((v) => v.startsWith('p0-'))).toEqual(Array.from({ length: 20 }, (_, i) => `p0-m${i}`))
})

it.each(['partition', 'none'] as const)(
  "ordering '%s', random handler failures with retries: nothing lost, and committed offsets never move backwards",
  async (ordering) => {
    const partitions = 3
    const perPartition = 60
    const topic = await setup(partitions, perPartition)
    // A fixed pseudo-random sequence (a linear congruential generator), so every run fails the same way.
    let seed = 12345
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const succeeded = new Set<string>()
    let failures = 0
    const commits = new Map<number, bigint[]>()
    const consumer = kafka.consumer({
      groupId: uniqueName('retry-random'),
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      onCommit: (event) => {
        if (event.error !== null) return
        for (const o of event.offsets)
          commits.set(o.partition, [...(commits.get(o.partition) ?? []), o.offset])
      },
    })
    const handle = await consumer.run({
      topics: [topic],
      ordering,
      partitionsConcurrency: partitions,
      commit: { everyMs: 50 },
      retry: { attempts: 20, initialBackoffMs: 5, maxBackoffMs: 20 },
      eachMessage: ({ message }) => {
        if (random() < 0.2) {
          failures++
          throw new Error('random failure')
        }
        succeeded.add(String(message.value))
      },
    })
    try {
      await waitFor('every record succeeded once', () => succeeded.size === partitions * perPartition)
    } finally {
      await handle.stop()
    }
    expect(failures).toBeGreaterThan(0)
    for (let p = 0; p < partitions; p++) {
      const offsets = commits.get(p) ?? []
      expect(offsets.every((o, i) => i === 0 || o >= offsets[i - 1]!)).toBe(true)
      expect(offsets.at(-1)).toBe(BigInt(perPartition))
    }
  },
)

it('eachBatch: after a poison record of a batch is skipped, the rest of the batch is handled', async () => {
  const topic = await setup(1, 10)
  const succeeded = new Set<string>()
  const consumer = kafka.consumer({
    groupId: uniqueName('retry-batch'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    commit: { everyMs: 100 },
    retry: { attempts: 2, initialBackoffMs: 10, onExhausted: 'skip' },
    onRejected: () => {},
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (String(message.value) === 'p0-m3') throw new Error('poison')
        succeeded.add(String(message.value))
        message.ack()
      }
    },
  })
  try {
    await waitFor('the partition committed to its end', async () => {
      const [committed] = await consumer.committed([{ topic, partition: 0 }])
      return committed?.offset === 10n
    })
  } finally {
    await handle.stop()
  }
  expect(succeeded.size).toBe(9)
  expect(succeeded.has('p0-m9')).toBe(true)
})

it("ordering 'key': while a record waits out its backoff only its key is held; the partition's other keys flow", async () => {
  const topic = uniqueName('retry-key')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 1 }])
  await admin.close()
  const producer = kafka.producer()
  // Keys alternate a, b, a, b, ...: a0 b1 a2 b3 ...
  await producer.sendBatch(
    Array.from({ length: 20 }, (_, i) => ({
      topic,
      partition: 0,
      key: i % 2 === 0 ? 'a' : 'b',
      value: `${i}`,
    })),
  )
  await producer.close()
  const handled: string[] = []
  const rebalances: string[] = []
  let firstTries = 0
  const consumer = kafka.consumer({
    groupId: uniqueName('retry-key'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    // Shorter than the backoff: a wait that held up polling would cost the member its partition.
    maxPollIntervalMs: 2000,
  })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'key',
    retry: { attempts: 2, initialBackoffMs: 3000, jitter: 0 },
    rebalanceListener: {
      onPartitionsRevoked: (partitions) => {
        rebalances.push(`revoked ${partitions.length}`)
      },
      onPartitionsLost: (partitions) => {
        rebalances.push(`lost ${partitions.length}`)
      },
    },
    eachMessage: ({ message }) => {
      if (message.offset === 0n && ++firstTries === 1) throw new Error('first try fails')
      handled.push(`${message.key}${message.offset}`)
    },
  })
  try {
    await waitFor('key b handled', () => handled.filter((v) => v.startsWith('b')).length === 10)
    // Key a waits behind its first record's backoff.
    expect(handled.filter((v) => v.startsWith('a'))).toEqual([])
    expect(firstTries).toBe(1)
    await waitFor('key a handled after the backoff', () => handled.length === 20)
    expect(rebalances).toEqual([])
  } finally {
    await handle.stop()
  }
  expect(firstTries).toBe(2)
  expect(handled.filter((v) => v.startsWith('a'))).toEqual(Array.from({ length: 10 }, (_, i) => `a${2 * i}`))
})
