import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster } from '../../../src/cluster/cluster.ts'
import {
  BrokerError,
  ConfigError,
  IllegalStateError,
  OffsetOutOfRangeError,
} from '../../../src/common/errors.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { NoOffsetForPartitionError } from '../../../src/consumer/no-offset-error.ts'
import { getOffsetShell, producerPerformance } from '../../../src/testing/java-tools.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { bootstrap, createTopic, newCluster, produceBatch } from './consumer-kit.ts'

let cluster: Cluster
beforeAll(() => {
  cluster = newCluster()
})
afterAll(async () => {
  await cluster.close()
})

/** Polls until `count` records arrived (or `timeoutMs` passed). */
async function pollUntil(consumer: Consumer, count: number, timeoutMs = 30_000): Promise<ConsumerMessage[]> {
  const messages: ConsumerMessage[] = []
  const deadline = Date.now() + timeoutMs
  while (messages.length < count && Date.now() < deadline) {
    messages.push(...(await consumer.poll({ timeoutMs: 500 })))
  }
  return messages
}

const describeOffsets = (messages: ConsumerMessage[]) => messages.map((m) => `${m.partition}:${m.offset}`)

describe('assign-mode consumer against Java-produced data', () => {
  const topic = uniqueName('consumer-perf')
  const partitions = 6
  const records = 30_000
  let endOffsets: Map<number, bigint>

  beforeAll(async () => {
    await createTopic(topic, partitions)
    await producerPerformance({
      bootstrap,
      topic,
      numRecords: records,
      recordSize: 100,
      producerProps: { acks: 'all', 'linger.ms': 5 },
    })
    endOffsets = await getOffsetShell({ bootstrap, topic, time: -1 })
  }, 120_000)

  it('poll() consumes every record Java ProducerPerformance wrote, each once and in order per partition', async () => {
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
    const messages = await pollUntil(consumer, records)
    expect(messages).toHaveLength(records)
    const next = new Map<number, bigint>()
    for (const message of messages) {
      expect(message.offset).toBe(next.get(message.partition) ?? 0n)
      next.set(message.partition, message.offset + 1n)
      expect(message.value).toHaveLength(100)
    }
    let total = 0n
    for (let partition = 0; partition < partitions; partition++) {
      expect(next.get(partition) ?? 0n).toBe(endOffsets.get(partition))
      expect(consumer.position({ topic, partition })).toBe(endOffsets.get(partition))
      total += endOffsets.get(partition) ?? 0n
    }
    expect(total).toBe(BigInt(records))
    expect(await consumer.poll({ timeoutMs: 200 })).toEqual([])
    await consumer.close()
  }, 60_000)

  it('the iterator yields the same records; break keeps the consumer open at the next record', async () => {
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest', maxBufferedBytes: 256 * 1024 })
    consumer.assign([{ topic, partition: 0 }])
    const expected = endOffsets.get(0) ?? 0n
    let seen = 0n
    for await (const message of consumer) {
      expect(message.offset).toBe(seen)
      seen++
      if (seen === 100n) break
    }
    expect(consumer.position({ topic, partition: 0 })).toBe(100n)
    for await (const message of consumer) {
      expect(message.offset).toBe(seen)
      seen++
      if (seen === expected) break
    }
    expect(seen).toBe(expected)
    await consumer.close()
  }, 60_000)
})

describe('positions: seek, seekToBeginning, seekToEnd, offsetsForTimes, pause/resume', () => {
  const topic = uniqueName('consumer-seek')
  const tp0 = { topic, partition: 0 }
  const tp1 = { topic, partition: 1 }
  // Partition 0: offsets 0-9 with timestamps 10_000, 11_000, ... 19_000 (in two batches).
  const base = 1_600_000_000_000
  const timestampOf = (offset: number) => base + offset * 1000

  beforeAll(async () => {
    await createTopic(topic, 2)
    for (const first of [0, 5]) {
      await produceBatch(
        cluster,
        topic,
        0,
        Array.from({ length: 5 }, (_, i) => ({
          value: `p0-${first + i}`,
          timestamp: timestampOf(first + i),
        })),
      )
    }
    await produceBatch(cluster, topic, 1, [
      { value: 'p1-0', key: 'k', timestamp: base, headers: [{ key: 'h', value: 'v' }] },
      { value: 'p1-1', timestamp: base },
    ])
  }, 60_000)

  it('offsetsForTimes returns the first offset at or after each time, and null after the last record', async () => {
    const consumer = new Consumer(cluster)
    const answers = await consumer.offsetsForTimes([
      { ...tp0, timestamp: 0 },
      { ...tp0, timestamp: timestampOf(3) },
      { ...tp0, timestamp: timestampOf(3) + 1 },
      { ...tp0, timestamp: timestampOf(9) },
      { ...tp0, timestamp: timestampOf(9) + 1 },
    ])
    expect(answers.map((a) => a.offset)).toEqual([0n, 3n, 4n, 9n, null])
    expect(answers.map((a) => a.timestamp)).toEqual([
      timestampOf(0),
      timestampOf(3),
      timestampOf(4),
      timestampOf(9),
      null,
    ])
    await consumer.close()
  })

  it('seek, seekToBeginning and seekToEnd move the next record delivered', async () => {
    const consumer = new Consumer(cluster, { autoOffsetReset: 'latest' })
    consumer.assign([tp0, tp1])
    expect(await consumer.positionAsync(tp0)).toBe(10n)
    consumer.seek({ ...tp0, offset: 7n })
    expect(consumer.position(tp0)).toBe(7n)
    consumer.seekToBeginning([tp1])
    const first = await pollUntil(consumer, 5)
    expect(describeOffsets(first).sort()).toEqual(['0:7', '0:8', '0:9', '1:0', '1:1'])
    const keyed = first.find((m) => m.partition === 1 && m.offset === 0n)!
    expect(keyed.key?.toString()).toBe('k')
    expect(keyed.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', 'v']])
    expect(keyed.timestamp).toBe(base)
    expect(keyed.timestampType).toBe('create')

    consumer.seekToBeginning()
    expect(() => consumer.position(tp0)).toThrow(IllegalStateError)
    expect(await consumer.positionAsync(tp0)).toBe(0n)
    const again = await pollUntil(consumer, 12)
    expect(again.filter((m) => m.partition === 0).map((m) => m.value?.toString())).toEqual(
      Array.from({ length: 10 }, (_, i) => `p0-${i}`),
    )
    consumer.seekToEnd([tp0])
    expect(await consumer.positionAsync(tp0)).toBe(10n)
    expect(await consumer.poll({ timeoutMs: 300 })).toEqual([])
    await consumer.close()
  }, 60_000)

  it('pause holds a partition back and resume continues it without gaps or repeats', async () => {
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest', maxPollRecords: 3 })
    consumer.assign([tp0, tp1])
    consumer.pause([tp0])
    expect(consumer.paused()).toEqual([tp0])
    const whilePaused = await pollUntil(consumer, 2)
    expect(describeOffsets(whilePaused)).toEqual(['1:0', '1:1'])
    expect(await consumer.poll({ timeoutMs: 300 })).toEqual([])
    consumer.resume([tp0])
    const first = await consumer.poll({ timeoutMs: 5000 })
    consumer.pause([tp0])
    expect(await consumer.poll({ timeoutMs: 300 })).toEqual([])
    consumer.resume([tp0])
    const rest = await pollUntil(consumer, 10 - first.length)
    expect(describeOffsets([...first, ...rest])).toEqual(Array.from({ length: 10 }, (_, i) => `0:${i}`))
    await consumer.close()
  }, 60_000)

  it("autoOffsetReset 'none' fails with a typed error naming the partition, and a seek recovers", async () => {
    const consumer = new Consumer(cluster, { autoOffsetReset: 'none' })
    consumer.assign([tp0])
    const noOffset = await consumer.poll({ timeoutMs: 2000 }).catch((error: unknown) => error)
    expect(noOffset).toBeInstanceOf(NoOffsetForPartitionError)
    expect(noOffset).toBeInstanceOf(OffsetOutOfRangeError)
    expect((noOffset as NoOffsetForPartitionError).topic).toBe(topic)
    expect((noOffset as NoOffsetForPartitionError).partition).toBe(0)
    expect((noOffset as Error).message).toContain(`${topic}-0`)

    consumer.seek({ ...tp0, offset: 50n })
    const outOfRange = await consumer.poll({ timeoutMs: 5000 }).catch((error: unknown) => error)
    expect(outOfRange).toBeInstanceOf(OffsetOutOfRangeError)
    expect((outOfRange as OffsetOutOfRangeError).offset).toBe(50n)
    expect((outOfRange as Error).message).toMatch(
      new RegExp(`Offset 50 is out of range for partition ${topic}-0`),
    )

    consumer.seek({ ...tp0, offset: 8n })
    expect(describeOffsets(await pollUntil(consumer, 2))).toEqual(['0:8', '0:9'])
    await consumer.close()
  }, 60_000)

  it("autoOffsetReset 'earliest' and 'latest' start at the log start and end", async () => {
    const earliest = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    earliest.assign([tp1])
    expect(describeOffsets(await pollUntil(earliest, 2))).toEqual(['1:0', '1:1'])
    await earliest.close()

    const latest = new Consumer(cluster, { autoOffsetReset: 'latest' })
    latest.assign([tp1])
    expect(await latest.positionAsync(tp1)).toBe(2n)
    expect(await latest.poll({ timeoutMs: 500 })).toEqual([])
    await produceBatch(cluster, topic, 1, [{ value: 'p1-2', timestamp: base }])
    expect(describeOffsets(await pollUntil(latest, 1))).toEqual(['1:2'])
    await latest.close()
  }, 60_000)
})

describe('bad input', () => {
  it('names an unknown topic when reading', async () => {
    const consumer = new Consumer(cluster)
    const missing = uniqueName('consumer-missing')
    consumer.assign([{ topic: missing, partition: 0 }])
    const error = await consumer.poll({ timeoutMs: 100 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BrokerError)
    expect((error as BrokerError).errorName).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect((error as Error).message).toContain(missing)
    await consumer.close()
  }, 60_000)

  it('names a partition the topic does not have', async () => {
    const topic = uniqueName('consumer-partitions')
    await createTopic(topic, 1)
    const consumer = new Consumer(cluster)
    consumer.assign([{ topic, partition: 3 }])
    const error = await consumer.poll({ timeoutMs: 100 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BrokerError)
    expect((error as BrokerError).partition).toBe(3)
    expect((error as Error).message).toContain('partition 3 does not exist')
    await consumer.close()
  }, 60_000)

  it('rejects invalid options, negative partitions and offsets, and unassigned partitions with named errors', async () => {
    expect(() => new Consumer(cluster, { autoOffsetReset: 'smallest' as 'earliest' })).toThrow(
      /consumer\.autoOffsetReset/,
    )
    expect(() => new Consumer(cluster, { fetchMaxWait: 10 } as never)).toThrow(ConfigError)
    const consumer = new Consumer(cluster)
    expect(() => consumer.assign([{ topic: 'ok', partition: -1 }])).toThrow(/assign\[0\]\.partition/)
    expect(() => consumer.assign([{ topic: 'bad topic!', partition: 0 }])).toThrow(/assign\[0\]\.topic/)
    consumer.assign([{ topic: 'ok', partition: 0 }])
    expect(() => consumer.seek({ topic: 'ok', partition: 0, offset: -5n })).toThrow(/seek\.offset/)
    expect(() => consumer.seek({ topic: 'ok', partition: 1, offset: 0n })).toThrow(/ok-1 is not assigned/)
    expect(() => consumer.position({ topic: 'other', partition: 0 })).toThrow(IllegalStateError)
    await consumer.close()
  })
})
