import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { producerPerformance } from '../../../src/testing/java-tools.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { bootstrap, createTopic, newCluster, produceBatch } from './consumer-kit.ts'

let cluster: Cluster
beforeAll(() => {
  cluster = newCluster()
})
afterAll(async () => {
  await cluster.close()
})

/** The consumer's fetch buffer, read directly: the bound is internal, and the test must see it. */
function bufferedBytesOf(consumer: Consumer): number {
  return (consumer as unknown as { buffer: { bufferedBytes: number } }).buffer.bufferedBytes
}

describe('consume(handler)', () => {
  it('rewinds to the record whose handler threw, rejects with its error, and reads it again next', async () => {
    const topic = uniqueName('consume-rewind')
    await createTopic(topic, 1)
    await produceBatch(
      cluster,
      topic,
      0,
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, timestamp: 1_700_000_000_000 + i })),
    )
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    try {
      consumer.assign([{ topic, partition: 0 }])
      const handled: bigint[] = []
      const failure = new Error('handler failed on offset 4')
      const run = consumer.consume((message) => {
        if (message.offset === 4n) throw failure
        handled.push(message.offset)
      })
      await expect(run).rejects.toBe(failure)
      expect(handled).toEqual([0n, 1n, 2n, 3n])
      // Records 5.. were fetched already, but the position is back at the failed one.
      expect(consumer.position({ topic, partition: 0 })).toBe(4n)

      const again: ConsumerMessage[] = []
      const deadline = Date.now() + 15_000
      while (again.length < 6 && Date.now() < deadline)
        again.push(...(await consumer.poll({ timeoutMs: 500 })))
      expect(again.map((m) => m.offset)).toEqual([4n, 5n, 6n, 7n, 8n, 9n])
      expect(again[0]!.value!.toString()).toBe('v4')
    } finally {
      await consumer.close()
    }
  })
})

describe('maxBufferedBytes', () => {
  it('holds fetched data within the bound plus one batch while the application lags behind', async () => {
    const topic = uniqueName('consume-bounded')
    await createTopic(topic, 1)
    const records = 12_000
    const batchBytes = 16_384
    // About 12 MB of backlog, in batches of at most 16 KiB.
    await producerPerformance({
      bootstrap,
      topic,
      numRecords: records,
      recordSize: 1000,
      producerProps: { acks: 'all', 'linger.ms': 5, 'batch.size': batchBytes, 'compression.type': 'none' },
    })
    const bound = 1024 * 1024
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest', maxBufferedBytes: bound })
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, bufferedBytesOf(consumer))
    }, 1)
    try {
      consumer.assign([{ topic, partition: 0 }])
      let read = 0
      let next = 0n
      const deadline = Date.now() + 60_000
      while (read < records && Date.now() < deadline) {
        const messages = await consumer.poll({ timeoutMs: 500 })
        peak = Math.max(peak, bufferedBytesOf(consumer))
        for (const message of messages) {
          expect(message.offset).toBe(next)
          next++
        }
        read += messages.length
        // A slow application: the fetcher has every chance to run ahead.
        await sleep(2)
      }
      expect(read).toBe(records)
    } finally {
      clearInterval(sampler)
      await consumer.close()
    }
    // The fetcher did run ahead (the check below is not vacuous) and never past the bound and one batch.
    expect(peak).toBeGreaterThan(bound / 2)
    expect(peak).toBeLessThanOrEqual(bound + batchBytes + 100)
  })
})
