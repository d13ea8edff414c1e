/**
 * Rebalance listeners gate delivery: the application's reads never see a partition while its listener runs.
 *
 * - Assignment: records of a new partition are neither fetched nor returned before onPartitionsAssigned has
 *   resolved, so a seek made there (restoring a position from an external store) is where reading starts.
 * - Revocation: delivery of a revoked partition stops before onPartitionsRevoked is called, so the position
 *   the listener sees and commits is exactly what the application received, and nothing follows it.
 *
 * Both listeners sleep on purpose while the reader keeps polling: that is the window in which records used
 * to slip through.
 */

import { afterAll, describe, expect, it } from 'vitest'
import type { TopicPartition, TopicPartitionOffset } from '../../../src/common/types.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { GroupOptions } from '../../../src/consumer/group/group-options.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'
import { sleep, waitFor } from '../../../src/testing/wait-for.ts'

const topics = new TestTopics('samsa-listener-gating')
afterAll(() => topics.close())

const key = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`

/** `perPartition` records in each partition, in small batches when `batchBytes` is small. */
async function produce(
  topic: string,
  partitions: number,
  perPartition: number,
  batchBytes?: number,
): Promise<void> {
  const producer = new Producer(topics.cluster, batchBytes === undefined ? {} : { batchBytes })
  try {
    for (let partition = 0; partition < partitions; partition++) {
      const records = [...Array(perPartition).keys()].map((i) => ({
        topic,
        partition,
        value: `p${partition}-${i}`,
      }))
      await producer.sendBatch(records)
    }
  } finally {
    await producer.close()
  }
}

const variants: Array<{ name: string; group: GroupOptions }> = [
  { name: 'classic eager (range)', group: { groupProtocol: 'classic', assignors: ['range'] } },
  {
    name: 'classic cooperative-sticky',
    group: { groupProtocol: 'classic', assignors: ['cooperative-sticky'] },
  },
  { name: 'consumer (KIP-848)', group: { groupProtocol: 'consumer' } },
]

function groupOptions(variant: GroupOptions): GroupOptions {
  return {
    groupId: uniqueName('gating'),
    ...variant,
    ...(variant.groupProtocol === 'classic' && { sessionTimeoutMs: 6000, heartbeatIntervalMs: 300 }),
  }
}

describe('rebalance listeners gate delivery', () => {
  for (const { name, group } of variants) {
    it(`${name}: the first record of every assigned partition is the one onPartitionsAssigned seeked to`, async () => {
      const partitions = 3
      const perPartition = 30
      const seekTo = 20n
      const topic = await topics.create('gating-assign', partitions)
      await produce(topic, partitions, perPartition)

      // With 'earliest' and nothing committed, anything fetched before the listener's seek starts at 0.
      const consumer = new Consumer(topics.cluster, { ...groupOptions(group), autoOffsetReset: 'earliest' })
      let listenerDone = false
      const deliveredBeforeListenerDone: string[] = []
      try {
        consumer.subscribe([topic], {
          onPartitionsAssigned: async (assigned) => {
            await sleep(1500)
            for (const tp of assigned) consumer.seek({ ...tp, offset: seekTo })
            if (assigned.length > 0) listenerDone = true
          },
        })
        const offsets = new Map<string, bigint[]>()
        const wanted = partitions * Number(BigInt(perPartition) - seekTo)
        let delivered = 0
        const deadline = Date.now() + 45_000
        while (delivered < wanted && Date.now() < deadline) {
          for (const message of await consumer.poll({ timeoutMs: 200 })) {
            if (!listenerDone) deliveredBeforeListenerDone.push(`${key(message)}@${message.offset}`)
            const list = offsets.get(key(message)) ?? []
            list.push(message.offset)
            offsets.set(key(message), list)
            delivered++
          }
        }
        expect(deliveredBeforeListenerDone).toEqual([])
        expect([...offsets.keys()].sort()).toEqual([...Array(partitions).keys()].map((p) => `${topic}-${p}`))
        for (const [partition, list] of offsets) {
          expect({ partition, first: list[0] }).toEqual({ partition, first: seekTo })
          expect(list.every((offset) => offset >= seekTo)).toBe(true)
        }
        expect(delivered).toBe(wanted)
      } finally {
        await consumer.close()
      }
    }, 60_000)
  }

  for (const { name, group } of variants) {
    it(`${name}: nothing of a revoked partition is delivered once revocation starts, and the listener commits what was`, async () => {
      const partitions = 4
      const perPartition = 2000
      const topic = await topics.create('gating-revoke', partitions)
      // Small batches and small partition fetches interleave the partitions in A's buffer, so records of
      // every partition are buffered but undelivered whenever the revocation comes.
      await produce(topic, partitions, perPartition, 512)
      const options = groupOptions(group)

      // A reads slowly in small polls, so it always has a backlog.
      const a = new Consumer(topics.cluster, {
        ...options,
        autoOffsetReset: 'earliest',
        maxPollRecords: 5,
        maxPartitionFetchBytes: 1024,
      })
      const b = new Consumer(topics.cluster, { ...options, autoOffsetReset: 'earliest' })
      /** Partitions of A from the start of their revocation until they are assigned to A again, if ever. */
      const revoking = new Set<string>()
      const lastDelivered = new Map<string, bigint>()
      const violations: string[] = []
      const revocations: Array<{
        /** The offset after the last record A was handed, when the listener started. */
        deliveredUpTo: Map<string, bigint>
        positions: Map<string, bigint>
        committed: Map<string, bigint>
        positionsAfterWait: Map<string, bigint>
      }> = []
      let stop = false
      let bRunning: Promise<void> | undefined
      try {
        a.subscribe([topic], {
          onPartitionsAssigned: (assigned) => {
            for (const tp of assigned) revoking.delete(key(tp))
          },
          onPartitionsRevoked: async (revoked) => {
            if (revoked.length === 0) return
            const keys = new Set(revoked.map(key))
            for (const k of keys) revoking.add(k)
            const deliveredUpTo = new Map<string, bigint>()
            for (const k of keys) {
              const last = lastDelivered.get(k)
              if (last !== undefined) deliveredUpTo.set(k, last + 1n)
            }
            const positions = new Map(revoked.map((tp) => [key(tp), a.position(tp)] as const))
            const committed = new Map(
              (await a.commit())
                .filter((o) => keys.has(key(o)))
                .map((o: TopicPartitionOffset) => [key(o), o.offset] as const),
            )
            await sleep(1000)
            const positionsAfterWait = new Map(revoked.map((tp) => [key(tp), a.position(tp)] as const))
            revocations.push({ deliveredUpTo, positions, committed, positionsAfterWait })
          },
        })
        const aRunning = (async () => {
          while (!stop) {
            for (const message of await a.poll({ timeoutMs: 100 })) {
              if (revoking.has(key(message))) violations.push(`${key(message)}@${message.offset}`)
              lastDelivered.set(key(message), message.offset)
            }
            await sleep(10)
          }
        })()

        await waitFor('A to read from every partition', () => lastDelivered.size === partitions, 30_000)
        b.subscribe([topic])
        bRunning = (async () => {
          while (!stop) await b.poll({ timeoutMs: 100 })
        })()
        await waitFor('A to revoke partitions for B', () => revocations.length > 0, 45_000)
        // Keep A reading past the listener, so records the revoked partitions had buffered would show up.
        await sleep(1500)
        stop = true
        await aRunning

        expect(violations).toEqual([])
        for (const { deliveredUpTo, positions, committed, positionsAfterWait } of revocations) {
          expect(positions.size).toBeGreaterThan(0)
          // The commit inside the listener covers exactly what A was handed, and the position never moved.
          expect(committed).toEqual(positions)
          expect(positionsAfterWait).toEqual(positions)
          for (const [partition, upTo] of deliveredUpTo) {
            expect({ partition, position: positions.get(partition) }).toEqual({ partition, position: upTo })
          }
          // Records were left to deliver, so the check above could have seen some slip through.
          for (const position of positions.values()) expect(position).toBeLessThan(BigInt(perPartition))
          expect(deliveredUpTo.size).toBeGreaterThan(0)
        }
      } finally {
        stop = true
        await bRunning
        await a.close()
        await b.close()
      }
    }, 90_000)
  }
})
