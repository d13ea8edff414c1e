import { expect, it } from 'vitest'
import { decodeCompletedOffsets } from '../../../src/consumer/offsets/completed-offsets-metadata.ts'
import { Kafka } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'ordering', logger: false })

async function setup(records: { key: string; value: string }[]): Promise<string> {
  const topic = uniqueName('ordering')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 1 }])
  await admin.close()
  const producer = kafka.producer()
  await producer.sendBatch(records.map((r) => ({ topic, partition: 0, ...r })))
  await producer.close()
  return topic
}

it("ordering 'none': records completed beyond a stuck one are committed in metadata and not processed again after a restart", async () => {
  const total = 30
  const topic = await setup(Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: `m${i}` })))
  const groupId = uniqueName('ordering-none')
  const tp = { topic, partition: 0 }
  const first: number[] = []
  const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'none',
    maxInFlightPerPartition: total,
    commit: { everyMs: 100 },
    retry: { attempts: 1, onExhausted: 'stop-partition' },
    onError: () => {},
    eachMessage: async ({ message, signal }) => {
      const offset = Number(message.offset)
      // The first record hangs until the run stops (a crash stand-in): it never completes.
      if (offset === 0) {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))
      }
      first.push(offset)
    },
  })
  try {
    await waitFor('every other record completed', () => first.length === total - 1)
    await waitFor('the completions committed in the metadata', async () => {
      const [committed] = await consumer.committed([tp])
      const ranges = decodeCompletedOffsets(committed?.offset ?? 0n, committed?.metadata)
      return committed?.offset === 0n && ranges.length === 1 && ranges[0]?.last === BigInt(total - 1)
    })
  } finally {
    await handle.stop({ timeoutMs: 100 }).catch(() => {})
  }
  expect(first).not.toContain(0)

  const second: number[] = []
  const again = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const handle2 = await again.run({
    topics: [topic],
    ordering: 'none',
    commit: { everyMs: 100 },
    eachMessage: ({ message }) => {
      second.push(Number(message.offset))
    },
  })
  try {
    await waitFor('the partition committed to its end', async () => {
      const [committed] = await again.committed([tp])
      return committed?.offset === BigInt(total)
    })
  } finally {
    await handle2.stop()
  }
  // Only the record that never completed is processed again.
  expect(second).toEqual([0])
})

it("ordering 'key': records of one key run one after another, other keys at the same time", async () => {
  const records = Array.from({ length: 24 }, (_, i) => ({ key: `k${i % 3}`, value: String(i) }))
  const topic = await setup(records)
  const inFlight = new Map<string, number>()
  const order = new Map<string, number[]>()
  let overlapOfOneKey = false
  let mostKeysAtOnce = 0
  const consumer = kafka.consumer({
    groupId: uniqueName('ordering-key'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'key',
    commit: { everyMs: 100 },
    eachMessage: async ({ message }) => {
      const key = String(message.key)
      if ((inFlight.get(key) ?? 0) > 0) overlapOfOneKey = true
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1)
      mostKeysAtOnce = Math.max(mostKeysAtOnce, [...inFlight.values()].filter((n) => n > 0).length)
      await new Promise((resolve) => setTimeout(resolve, 20))
      order.set(key, [...(order.get(key) ?? []), Number(message.value)])
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1)
    },
  })
  try {
    await waitFor('the partition committed to its end', async () => {
      const [committed] = await consumer.committed([{ topic, partition: 0 }])
      return committed?.offset === 24n
    })
  } finally {
    await handle.stop()
  }
  expect(overlapOfOneKey).toBe(false)
  expect(mostKeysAtOnce).toBe(3)
  for (let k = 0; k < 3; k++) {
    expect(order.get(`k${k}`)).toEqual(Array.from({ length: 8 }, (_, i) => i * 3 + k))
  }
})

it("ordering 'none' across a rebalance and a stop: completed records move with their partition and are not processed again", async () => {
  const perPartition = 20
  const topic = uniqueName('ordering-rebalance')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 2 }])
  await admin.close()
  const producer = kafka.producer()
  for (let p = 0; p < 2; p++) {
    await producer.sendBatch(
      Array.from({ length: perPartition }, (_, i) => ({ topic, partition: p, value: `${i}` })),
    )
  }
  await producer.close()
  const groupId = uniqueName('ordering-rebalance')
  const completed: string[] = []
  const member = (stuckFirst: boolean) =>
    kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' }).run({
      topics: [topic],
      ordering: 'none',
      maxInFlightPerPartition: perPartition,
      commit: { everyMs: 100 },
      drainTimeoutMs: 200,
      onError: () => {},
      eachMessage: async ({ message, signal }) => {
        // The first member never finishes the first record of a partition (a stand-in for a stuck call).
        if (stuckFirst && message.offset === 0n) {
          await new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('aborted'))),
          )
        }
        completed.push(`${message.partition}:${message.offset}`)
      },
    })
  const first = await member(true)
  const committedWithMetadata = async () => {
    const probe = kafka.consumer({ groupId })
    try {
      const offsets = await probe.committed([0, 1].map((partition) => ({ topic, partition })))
      return offsets.every(
        (c) =>
          c.offset === 0n && decodeCompletedOffsets(0n, c.metadata).at(-1)?.last === BigInt(perPartition - 1),
      )
    } finally {
      await probe.close()
    }
  }
  await waitFor(
    'the first member completed all but the stuck records',
    () => completed.length === 2 * (perPartition - 1),
  )
  await waitFor('both partitions committed with their completions in the metadata', committedWithMetadata)
  // A second member takes one partition away (a rebalance), then the first stops and it takes the other.
  const second = await member(false)
  await waitFor(
    'the second member completed a moved partition',
    () => completed.length > 2 * (perPartition - 1),
  )
  await first.stop({ timeoutMs: 100 }).catch(() => {})
  await waitFor('every record completed', () => completed.length === 2 * perPartition)
  await second.stop()
  expect(new Set(completed).size).toBe(completed.length)
  expect(completed.slice(2 * (perPartition - 1)).sort()).toEqual(['0:0', '1:0'])
}, 90_000)
