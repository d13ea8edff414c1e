import { expect, it } from 'vitest'
import {
  decodeCompletedOffsets,
  encodeCompletedOffsets,
} from '../../../src/consumer/offsets/completed-offsets-metadata.ts'
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

it.each([
  ['a plain string from another tool', 'processed by legacy-billing v1'],
  ['damaged samsa metadata', 'samsa:c1:!!!'],
  ['a later format version', 'samsa:c9:AQID'],
  ['an empty string', ''],
])(
  "ordering 'none' over a commit whose metadata is %s: read as nothing completed, no crash",
  async (_, metadata) => {
    const topic = await setup(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })))
    const groupId = uniqueName('ordering-foreign')
    const tp = { topic, partition: 0 }
    const other = kafka.consumer({ groupId, enableAutoCommit: false })
    other.assign([tp])
    await other.commit([{ ...tp, offset: 3n, metadata }])
    await other.close()

    const handled: number[] = []
    const errors: unknown[] = []
    const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    const handle = await consumer.run({
      topics: [topic],
      ordering: 'none',
      commit: { everyMs: 100 },
      onError: (error) => errors.push(error),
      eachMessage: ({ message }) => {
        handled.push(Number(message.offset))
      },
    })
    try {
      await waitFor('the partition committed to its end', async () => {
        const [committed] = await consumer.committed([tp])
        return committed?.offset === 10n
      })
    } finally {
      await handle.stop()
    }
    expect(errors).toEqual([])
    expect(handled.sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9])
  },
)

it('the broker stores completed-beyond metadata at its 4096-byte limit and gives it back whole: 1,531 isolated completions', async () => {
  const topic = await setup([{ key: 'k', value: 'm' }])
  const tp = { topic, partition: 0 }
  // The worst case: every other offset completed beyond the commit (one-offset gaps, one-offset ranges).
  const ranges = Array.from({ length: 2000 }, (_, i) => ({
    first: BigInt(2 * i + 1),
    last: BigInt(2 * i + 1),
  }))
  const metadata = encodeCompletedOffsets(0n, ranges)
  expect(metadata?.length).toBeLessThanOrEqual(4096)
  const consumer = kafka.consumer({ groupId: uniqueName('ordering-metadata-limit'), enableAutoCommit: false })
  try {
    consumer.assign([tp])
    await consumer.commit([{ ...tp, offset: 0n, metadata: metadata as string }])
    const [committed] = await consumer.committed([tp])
    expect(committed?.metadata).toBe(metadata)
    const decoded = decodeCompletedOffsets(0n, committed?.metadata)
    expect(decoded).toHaveLength(1531)
    expect(decoded).toEqual(ranges.slice(0, 1531))
  } finally {
    await consumer.close()
  }
})

it("ordering 'none' stops taking work as the completed-beyond metadata nears 4096 bytes, and every completion it holds is in the commit", async () => {
  const total = 4000
  const topic = await setup(Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: `m${i}` })))
  const tp = { topic, partition: 0 }
  let started = 0
  const completed: number[] = []
  const consumer = kafka.consumer({
    groupId: uniqueName('ordering-budget'),
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
  })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'none',
    maxInFlightPerPartition: 10_000,
    maxInFlight: 10_000,
    commit: { everyMs: 100 },
    unsettledWarningMs: 0,
    onError: () => {},
    eachMessage: async ({ message, signal }) => {
      started++
      // Every even offset hangs: each odd one is an isolated completion, the metadata's worst case.
      if (message.offset % 2n === 0n) {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))
      }
      completed.push(Number(message.offset))
    },
  })
  let inCommit: bigint[] = []
  let startedBefore = -1
  try {
    // Settled: nothing more taken since the last look, and the commit holds every completion.
    await waitFor(
      'the run to stop taking work with every completion in the commit metadata',
      async () => {
        const [committed] = await consumer.committed([tp])
        const ranges = decodeCompletedOffsets(committed?.offset ?? 0n, committed?.metadata)
        inCommit = ranges.flatMap((r) => (r.first === r.last ? [r.first] : [r.first, r.last]))
        const settled = started > 0 && started === startedBefore && inCommit.length === completed.length
        startedBefore = started
        return settled
      },
      30_000,
      500,
    )
  } finally {
    await handle.stop({ timeoutMs: 100 }).catch(() => {})
  }
  expect(started).toBeLessThan(total)
  // Far from the end: half of what was taken still hangs, so completions only grew so far.
  expect(completed.length).toBeGreaterThan(100)
  expect(inCommit).toEqual(completed.map(BigInt).sort((a, b) => (a < b ? -1 : 1)))
})
