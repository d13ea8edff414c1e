import { expect, it } from 'vitest'
import { Kafka, type UnsettledEvent } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'ack-commit', logger: false })

async function setup(count: number): Promise<string> {
  const topic = uniqueName('ack-commit')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 1 }])
  await admin.close()
  const producer = kafka.producer()
  await producer.sendBatch(Array.from({ length: count }, (_, i) => ({ topic, partition: 0, value: `m${i}` })))
  await producer.close()
  return topic
}

it('ack({ commit: true }) commits at once; a message left unsettled is reported once, naming its partition', async () => {
  const topic = await setup(3)
  const tp = { topic, partition: 0 }
  const unsettled: UnsettledEvent[] = []
  const committedAfterAck: (bigint | null)[] = []
  const consumer = kafka.consumer({
    groupId: uniqueName('ack-commit'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    ack: 'manual',
    ordering: 'none',
    // The cadence never fires during the test: only the ack's own commit can have committed.
    commit: { everyMs: 600_000 },
    unsettledWarningMs: 300,
    onUnsettled: (event) => unsettled.push(event),
    eachMessage: async ({ message }) => {
      if (message.offset === 0n) {
        await message.ack({ commit: true })
        const [committed] = await consumer.committed([tp])
        committedAfterAck.push(committed?.offset ?? null)
      }
      if (message.offset === 2n) await message.ack()
      // Offset 1 is never settled: the forgotten ack.
    },
  })
  try {
    await waitFor('the unsettled message reported', () => unsettled.length > 0)
  } finally {
    await handle.stop()
  }
  expect(committedAfterAck).toEqual([1n])
  expect(unsettled).toHaveLength(1)
  expect(unsettled[0]).toMatchObject({ topic, partition: 0, offset: 1n })
  expect(unsettled[0]!.waitingMs).toBeGreaterThanOrEqual(300)
})

it('commit.onAck commits after every acknowledged message', async () => {
  const topic = await setup(5)
  const tp = { topic, partition: 0 }
  const seen: (bigint | null)[] = []
  const consumer = kafka.consumer({
    groupId: uniqueName('ack-commit-each'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    commit: { everyMs: 600_000, onAck: true },
    eachMessage: async ({ message }) => {
      // With onAck, ack() settles once the commit that includes this message finished.
      await message.ack()
      const [committed] = await consumer.committed([tp])
      seen.push(committed?.offset ?? null)
    },
  })
  try {
    await waitFor('five messages', () => seen.length === 5)
  } finally {
    await handle.stop()
  }
  expect(seen).toEqual([1n, 2n, 3n, 4n, 5n])
})

it("a consumer created with runAck: 'manual' marks nothing by itself in run(): only what the handler acks", async () => {
  const topic = await setup(4)
  const tp = { topic, partition: 0 }
  const handled: bigint[] = []
  const groupId = uniqueName('run-ack-manual')
  const consumer = kafka.consumer({
    groupId,
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    runAck: 'manual',
  })
  const handle = await consumer.run({
    topics: [topic],
    eachMessage: async ({ message }) => {
      handled.push(message.offset)
      if (message.offset <= 1n) await message.ack()
    },
  })
  try {
    await waitFor('four messages', () => handled.length === 4)
  } finally {
    await handle.stop()
  }
  const probe = kafka.consumer({ groupId })
  try {
    const [committed] = await probe.committed([tp])
    // 2 and 3 were handled without an ack: with automatic marking off they are not committed.
    expect(committed?.offset).toBe(2n)
  } finally {
    await probe.close()
  }
  expect(handled).toEqual([0n, 1n, 2n, 3n])
})

it('out of order, messages queued behind a full maxInFlight are backlog, not unsettled: only the stuck one is reported', async () => {
  const topic = uniqueName('unsettled-backlog')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 2 }])
  await admin.close()
  const producer = kafka.producer()
  for (const partition of [0, 1]) {
    await producer.sendBatch(
      Array.from({ length: 5 }, (_, i) => ({ topic, partition, value: `p${partition}-${i}` })),
    )
  }
  await producer.close()
  const unsettled: UnsettledEvent[] = []
  const handled: string[] = []
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let stuck: { partition: number; offset: bigint } | undefined
  const consumer = kafka.consumer({
    groupId: uniqueName('unsettled-backlog'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'none',
    // One handler at a time: while the first message handed out is stuck, every other one waits queued.
    maxInFlight: 1,
    unsettledWarningMs: 300,
    onUnsettled: (event) => unsettled.push(event),
    eachMessage: async ({ message }) => {
      if (stuck === undefined) {
        stuck = { partition: message.partition, offset: message.offset }
        await released
      }
      handled.push(`${message.partition}:${message.offset}`)
    },
  })
  try {
    await waitFor('the stuck message reported', () => unsettled.length > 0)
    // Both partitions' records are queued by now; give the check several more rounds past the threshold, in
    // which a queued message of the other partition would have been reported too.
    await waitFor('both partitions polled to their end', () =>
      [0, 1].every((partition) => consumer.position({ topic, partition }) === 5n),
    )
    await new Promise((resolve) => setTimeout(resolve, 1500))
    release()
    await waitFor('every message handled', () => handled.length === 10)
  } finally {
    release()
    await handle.stop()
  }
  expect(unsettled.map((e) => ({ partition: e.partition, offset: e.offset }))).toEqual([stuck])
})
