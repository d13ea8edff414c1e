import { expect, it } from 'vitest'
import type { TopicPartition, TopicPartitionOffset } from '../../../src/common/types.ts'
import type { Consumer } from '../../../src/consumer/consumer.ts'
import type { RebalanceListener } from '../../../src/consumer/group/rebalance-listener.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { ExactlyOnceRunner } from '../../../src/processing/exactly-once-runner.ts'
import type { ProcessingGuarantee } from '../../../src/processing/processing-guarantee.ts'
import { resolveRunOptions } from '../../../src/processing/run-options.ts'

const tp = { topic: 'in', partition: 0 }

function message(offset: bigint): ConsumerMessage {
  return {
    ...tp,
    offset,
    key: null,
    value: Buffer.from(`m${offset}`),
    headers: [],
  } as unknown as ConsumerMessage
}

/** A consumer whose first poll returns m0 and m1 of partition 0; later polls nothing. */
function fakeConsumer(): { consumer: Consumer; listener: () => RebalanceListener } {
  let listener: RebalanceListener | undefined
  let polls = 0
  const consumer = {
    subscribe: (_topics: unknown, rebalance: RebalanceListener) => {
      listener = rebalance
    },
    poll: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return polls++ === 0 ? [message(0n), message(1n)] : []
    },
    seek: () => {},
    close: async () => {},
  }
  return { consumer: consumer as unknown as Consumer, listener: () => listener as RebalanceListener }
}

it('a unit that finishes while a revocation waits for it does not give the partition back: the rest of the poll is not processed', async () => {
  const { consumer, listener } = fakeConsumer()
  const executed: bigint[] = []
  let finishFirst: () => void = () => {}
  let started: () => void = () => {}
  const firstStarted = new Promise<void>((resolve) => {
    started = resolve
  })
  const guarantee: ProcessingGuarantee = {
    name: 'test',
    oneTransactionAtATime: false,
    positions: async (partitions: readonly TopicPartition[]) =>
      new Map(partitions.map((p) => [`${p.topic}:${p.partition}`, 0n])),
    execute: async (offsets: readonly TopicPartitionOffset[], work) => {
      executed.push((offsets[0] as TopicPartitionOffset).offset)
      await work(undefined)
      if (executed.length === 1) {
        started()
        await new Promise<void>((resolve) => {
          finishFirst = resolve
        })
      }
    },
    isFatal: () => true,
  }
  const runner = new ExactlyOnceRunner(
    consumer,
    resolveRunOptions({ topics: ['in'], eachMessage: async () => {} }),
    guarantee,
  )
  runner.start()
  await listener().onPartitionsAssigned?.([tp])
  await firstStarted
  // The rebalance revokes the partition while m0's unit is committing; the revocation waits for it.
  const revoked = listener().onPartitionsRevoked?.([tp])
  finishFirst()
  await revoked
  await new Promise((resolve) => setTimeout(resolve, 50))
  await runner.stop()
  // m0's unit (next offset 1) ran; m1, polled with it, belongs to the partition's new owner now.
  expect(executed).toEqual([1n])
})

/** A consumer over two one-message partitions that re-delivers from wherever it was sought to. */
function seekingConsumer(): { consumer: Consumer; listener: () => RebalanceListener } {
  let listener: RebalanceListener | undefined
  const positions = new Map<number, bigint>([
    [0, 0n],
    [1, 0n],
  ])
  const consumer = {
    subscribe: (_topics: unknown, rebalance: RebalanceListener) => {
      listener = rebalance
    },
    poll: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      const polled: ConsumerMessage[] = []
      for (const [partition, position] of positions) {
        if (position === 0n) {
          polled.push({ ...message(0n), partition } as ConsumerMessage)
          positions.set(partition, 1n)
        }
      }
      return polled
    },
    seek: ({ partition, offset }: { partition: number; offset: bigint }) => positions.set(partition, offset),
    close: async () => {},
  }
  return { consumer: consumer as unknown as Consumer, listener: () => listener as RebalanceListener }
}

it('partitionsConcurrency with one transaction at a time: units of two partitions share it, a failure aborts and re-seeks both but counts only against its own', async () => {
  const { consumer, listener } = seekingConsumer()
  const committed = new Map<string, bigint>()
  const transactions: string[][] = []
  const guarantee: ProcessingGuarantee = {
    name: 'shared',
    oneTransactionAtATime: true,
    positions: async (partitions) =>
      new Map(
        partitions.map((p) => [
          `${p.topic}:${p.partition}`,
          committed.get(`${p.topic}:${p.partition}`) ?? 0n,
        ]),
      ),
    execute: async (offsets, work) => {
      transactions.push(offsets.map((o) => `${o.partition}@${o.offset}`))
      await work('tx')
      for (const o of offsets) committed.set(`${o.topic}:${o.partition}`, o.offset)
    },
    isFatal: () => false,
  }
  const warned: unknown[] = []
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (_m: string, fields?: unknown) => warned.push(fields),
    error: () => {},
  }
  let running = 0
  let mostAtOnce = 0
  const handled: number[] = []
  let failedOnce = false
  const runner = new ExactlyOnceRunner(
    consumer,
    resolveRunOptions({
      topics: ['in'],
      partitionsConcurrency: 2,
      retry: { initialBackoffMs: 1 },
      eachMessage: async ({ message }) => {
        running++
        mostAtOnce = Math.max(mostAtOnce, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
        handled.push(message.partition)
        if (message.partition === 1 && !failedOnce) {
          failedOnce = true
          throw new Error('partition 1 fails once')
        }
      },
    }),
    guarantee,
    logger,
  )
  runner.start()
  await listener().onPartitionsAssigned?.([
    { topic: 'in', partition: 0 },
    { topic: 'in', partition: 1 },
  ])
  while (committed.size < 2) await new Promise((resolve) => setTimeout(resolve, 5))
  await runner.stop()
  expect(transactions).toEqual([
    ['0@1', '1@1'],
    ['0@1', '1@1'],
  ])
  expect(mostAtOnce).toBe(2)
  expect(handled.sort()).toEqual([0, 0, 1, 1])
  // Partition 0 was aborted with partition 1's failure and processed again, without a failed attempt.
  expect(warned).toEqual([expect.objectContaining({ partition: 1, attempt: 1 })])
})
