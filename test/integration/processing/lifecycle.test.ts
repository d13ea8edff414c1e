import { describe, expect, it } from 'vitest'
import { UncommittedOffsetsError } from '../../../src/common/errors.ts'
import type { TopicPartitionOffset } from '../../../src/common/types.ts'
import type { ConsumerOptions } from '../../../src/consumer/consumer-options.ts'
import { type CommitEvent, Kafka, runConsumer } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'run-lifecycle', logger: false })

async function topicWith(partitions: number, perPartition: number): Promise<string> {
  const topic = uniqueName('run-lifecycle')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions }])
  await admin.close()
  await produce(topic, partitions, perPartition)
  return topic
}

async function produce(topic: string, partitions: number, perPartition: number): Promise<void> {
  const producer = kafka.producer()
  for (let p = 0; p < partitions; p++) {
    await producer.sendBatch(
      Array.from({ length: perPartition }, (_, i) => ({ topic, partition: p, value: `${i}` })),
    )
  }
  await producer.close()
}

/** The offsets of the run's commits of partition 0, as the consumer's onCommit hook reports them. */
function commitLog() {
  const offsets: bigint[] = []
  return {
    offsets,
    onCommit: (event: CommitEvent) => {
      if (event.error !== null) return
      for (const o of event.offsets) if (o.partition === 0) offsets.push(o.offset)
    },
  }
}

describe('run() commit cadence', () => {
  it('every N messages: the first commit comes at N, then they only move forward', async () => {
    const topic = await topicWith(1, 12)
    const log = commitLog()
    const consumer = kafka.consumer({
      groupId: uniqueName('cadence-n'),
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      onCommit: log.onCommit,
    })
    let handled = 0
    const handle = await consumer.run({
      topics: [topic],
      commit: { everyMessages: 5, everyMs: 600_000 },
      eachMessage: () => {
        handled++
      },
    })
    try {
      await waitFor('two count-based commits', () => handled === 12 && log.offsets.length >= 2)
    } finally {
      await handle.stop()
    }
    expect(log.offsets[0]).toBe(5n)
    expect(log.offsets.every((o, i) => i === 0 || o > log.offsets[i - 1]!)).toBe(true)
    expect(log.offsets.at(-1)).toBe(12n)
  })

  it('every T ms: a commit comes while the run goes on, with no count set', async () => {
    const topic = await topicWith(1, 3)
    const log = commitLog()
    const consumer = kafka.consumer({
      groupId: uniqueName('cadence-t'),
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      onCommit: log.onCommit,
    })
    const handle = await consumer.run({ topics: [topic], commit: { everyMs: 200 }, eachMessage: () => {} })
    try {
      await waitFor('a time-based commit', () => log.offsets.includes(3n))
    } finally {
      await handle.stop()
    }
  })

  it('N or T, whichever comes first: the count commits a burst, the clock commits a straggler', async () => {
    const topic = await topicWith(1, 3)
    const log = commitLog()
    const consumer = kafka.consumer({
      groupId: uniqueName('cadence-nt'),
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      onCommit: log.onCommit,
    })
    const handle = await consumer.run({
      topics: [topic],
      commit: { everyMessages: 3, everyMs: 1500 },
      eachMessage: () => {},
    })
    try {
      await waitFor('the count-based commit', () => log.offsets.includes(3n))
      await produce(topic, 1, 1)
      await waitFor('the time-based commit of the straggler', () => log.offsets.includes(4n))
    } finally {
      await handle.stop()
    }
  })
})

describe('run() context seams', () => {
  it('commitOffsets: a transactional run can take over the commits of the runner', async () => {
    const topic = await topicWith(1, 4)
    const sent: TopicPartitionOffset[][] = []
    const consumer = kafka.consumer({
      groupId: uniqueName('commit-seam'),
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
    })
    const handle = await runConsumer(
      consumer,
      { topics: [topic], commit: { everyMs: 100 }, eachMessage: () => {} },
      {
        commitOffsets: async (offsets) => {
          sent.push(offsets)
          await consumer.commit(offsets)
        },
      },
    )
    try {
      await waitFor('a commit through the seam', () => sent.flat().some((o) => o.offset === 4n))
    } finally {
      await handle.stop()
    }
    const [committed] = await (async () => {
      const probe = kafka.consumer({ groupId: consumer.groupMetadata().groupId })
      try {
        return await probe.committed([{ topic, partition: 0 }])
      } finally {
        await probe.close()
      }
    })()
    expect(committed?.offset).toBe(4n)
  })
})

describe('run() drains and commits revoked partitions before the rebalance goes on', () => {
  const protocols: [string, Partial<ConsumerOptions>][] = [
    ['classic, eager (range)', { groupProtocol: 'classic', assignors: ['range'] }],
    ['classic, cooperative-sticky', { groupProtocol: 'classic', assignors: ['cooperative-sticky'] }],
    ['consumer (KIP-848)', { groupProtocol: 'consumer' }],
  ]
  it.each(protocols)(
    '%s: a second member joins mid-run and nothing is processed twice',
    async (_, protocol) => {
      const perPartition = 30
      const topic = await topicWith(2, perPartition)
      const groupId = uniqueName('revoke-drain')
      const handled: string[] = []
      const bySecond: string[] = []
      let openGate!: () => void
      const revoked = new Promise<void>((resolve) => {
        openGate = resolve
      })
      const member = (first: boolean) =>
        kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest', ...protocol }).run({
          topics: [topic],
          partitionsConcurrency: 2,
          // Only the commit on revoke (and at stop) can save the first member's work.
          commit: { everyMs: 600_000 },
          drainTimeoutMs: 1000,
          rebalanceListener: {
            onPartitionsRevoked: (partitions) => {
              if (first && partitions.length > 0) openGate()
            },
          },
          eachMessage: async ({ message, signal }) => {
            // The first member stalls after 10 records until it has given a partition up, so the second
            // member always takes over unfinished work. A stalled call on a revoked partition is aborted
            // when draining times out: it never finishes, and the new owner handles its record.
            if (first && handled.length >= 10) {
              await new Promise<void>((resolve, reject) => {
                void revoked.then(resolve)
                signal.addEventListener('abort', () => reject(new Error('aborted')))
              })
            }
            handled.push(`${message.partition}:${message.offset}`)
            if (!first) bySecond.push(`${message.partition}:${message.offset}`)
          },
        })
      const first = await member(true)
      await waitFor('the first member under way', () => handled.length >= 10)
      const second = await member(false)
      try {
        await waitFor('every record handled', () => new Set(handled).size === 2 * perPartition, 60_000)
      } finally {
        await Promise.all([first.stop(), second.stop()])
      }
      expect(bySecond.length).toBeGreaterThan(0)
      expect(handled.length).toBe(2 * perPartition)
    },
  )
})

describe.each(['classic', 'consumer'] as const)('run() and lost partitions (%s protocol)', (protocol) => {
  it('a member evicted while its handler blocks the main thread: onPartitionsLost, the uncommitted work is reported, the run goes on', async () => {
    const topic = await topicWith(1, 3)
    const groupId = uniqueName(`run-lost-${protocol}`)
    const lost: number[] = []
    const errors: unknown[] = []
    const handled: bigint[] = []
    if (protocol === 'consumer') {
      // KIP-848 session timeouts are group configs (the rig lowers the broker's 45 s floor to 6 s).
      const admin = kafka.admin()
      try {
        await admin.alterGroupConfigs(groupId, {
          set: { 'consumer.session.timeout.ms': '6000', 'consumer.heartbeat.interval.ms': '1000' },
        })
      } finally {
        await admin.close()
      }
    }
    const consumer = kafka.consumer({
      groupId,
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      groupProtocol: protocol,
      ...(protocol === 'classic' && { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 }),
      // Without the worker thread nothing heartbeats while the main thread is blocked: the member is evicted.
      backgroundHeartbeat: false,
    })
    const handle = await consumer.run({
      topics: [topic],
      commit: { everyMs: 600_000 },
      rebalanceListener: {
        onPartitionsLost: (partitions) => {
          lost.push(partitions.length)
        },
      },
      onError: (error) => errors.push(error),
      eachMessage: ({ message }) => {
        handled.push(message.offset)
        // Blocks the thread (no CPU spent) past the session timeout, once.
        if (message.offset === 2n && handled.length === 3)
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 9000)
      },
    })
    try {
      await waitFor('the partition lost', () => lost.length > 0, 45_000)
      // After rejoining, the member reads from the committed offset (none): everything again.
      await waitFor('the records handled again after rejoining', () => handled.length >= 6, 45_000)
    } finally {
      await handle.stop()
    }
    const report = errors.find((e) => e instanceof UncommittedOffsetsError) as
      | UncommittedOffsetsError
      | undefined
    expect(report?.offsets).toEqual([expect.objectContaining({ topic, partition: 0, offset: 3n })])
    expect(handled.slice(0, 6)).toEqual([0n, 1n, 2n, 0n, 1n, 2n])
  }, 90_000)
})
