import { afterAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { BufferFullError, ClosedError, KafkaError } from '../../../src/common/errors.ts'
import { RecordTooLargeError } from '../../../src/producer/errors.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { RecordMetadata } from '../../../src/producer/types.ts'
import { getOffsetShell, runJavaTool } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { rejection } from '../../../src/testing/rejection.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

const topics = new TestTopics('producer-test')
const { cluster } = topics

afterAll(() => topics.close())

/** Offsets a partition got, sorted, to compare against 0..n-1. */
function offsetsOf(results: RecordMetadata[], partition: number): bigint[] {
  return results
    .filter((r) => r.partition === partition)
    .map((r) => r.offset)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

describe('Producer acks', () => {
  it.each(['all', 1] as const)('acks %s: every record gets its own consecutive offset', async (acks) => {
    const topic = await topics.create('producer-acks', 1)
    const producer = new Producer(cluster, { acks, lingerMs: 1 })
    try {
      const results = await producer.sendBatch(
        Array.from({ length: 500 }, (_, i) => ({ topic, value: `v${i}`, timestamp: 1_700_000_000_000 + i })),
      )
      expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 500 }, (_, i) => BigInt(i)))
      expect(results[7]).toEqual({ topic, partition: 0, offset: 7n, timestamp: 1_700_000_000_007 })
      const single = await producer.send({ topic, value: 'last' })
      expect(single.offset).toBe(500n)
    } finally {
      await producer.close()
    }
  })

  it('acks 0: resolves with offset -1 once written, and the broker still gets every record', async () => {
    const topic = await topics.create('producer-acks0', 2)
    const producer = new Producer(cluster, { acks: 0 })
    expect(producer.options.idempotent).toBe(false)
    const results = await producer.sendBatch(
      Array.from({ length: 300 }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })),
    )
    await producer.close()
    expect(results.every((r) => r.offset === -1n && r.topic === topic)).toBe(true)
    const ends = await getOffsetShell({ bootstrap: kafkaBootstrap(), topic })
    expect((ends.get(0) ?? 0n) + (ends.get(1) ?? 0n)).toBe(300n)
  })
})

describe('Idempotent producer', () => {
  it('gets a producer id and writes no duplicates when connections break mid-flight', async () => {
    const topic = await topics.create('producer-idem', 3)
    const producer = new Producer(cluster, { lingerMs: 2, batchBytes: 2048, retryBackoffMs: 20 })
    const total = 20_000
    const value = Buffer.alloc(100, 1)
    const sends: Promise<RecordMetadata>[] = []
    let broken = 0
    for (let i = 0; i < total; i++) {
      sends.push(producer.send({ topic, key: `key-${i}`, value }))
      if (i % 2500 === 1250) {
        // Let requests get on the wire, then cut every broker connection under them.
        await new Promise((resolve) => setTimeout(resolve, 5))
        const metadata = await cluster.metadata()
        for (const nodeId of metadata.brokers.keys()) {
          const connection = await cluster.connectionTo(nodeId)
          if (connection.pendingRequests > 0) broken++
          connection.destroy()
        }
      }
    }
    const results = await Promise.all(sends)
    await producer.close()
    expect(broken).toBeGreaterThan(0)
    expect(producer.producerIdentity.producerId).toBeGreaterThanOrEqual(0n)

    // Every partition's offsets are exactly 0..n-1: nothing lost, nothing written twice.
    const ends = await getOffsetShell({ bootstrap: kafkaBootstrap(), topic })
    let sum = 0n
    for (let partition = 0; partition < 3; partition++) {
      const offsets = offsetsOf(results, partition)
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)))
      expect(ends.get(partition)).toBe(BigInt(offsets.length))
      sum += ends.get(partition) ?? 0n
    }
    expect(sum).toBe(BigInt(total))
  })
})

describe('flush and close', () => {
  it('flush() sends lingering records at once; close() flushes; sends after close reject', async () => {
    const topic = await topics.create('producer-flush', 1)
    const producer = new Producer(cluster, { lingerMs: 60_000 })
    let settled = 0
    const sends = Array.from({ length: 20 }, (_, i) =>
      producer.send({ topic, value: `v${i}` }).then((r) => {
        settled++
        return r
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(settled).toBe(0)
    const started = Date.now()
    await producer.flush()
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(settled).toBe(20)
    expect((await Promise.all(sends)).map((r) => r.offset)).toEqual(
      Array.from({ length: 20 }, (_, i) => BigInt(i)),
    )

    const last = producer.send({ topic, value: 'before close' })
    await producer.close()
    expect((await last).offset).toBe(20n)
    expect(await rejection(producer.send({ topic, value: 'after close' }))).toBeInstanceOf(ClosedError)
    expect(await rejection(producer.sendBatch([{ topic, value: 'after close' }]))).toBeInstanceOf(ClosedError)
  })
})

describe('backpressure', () => {
  it('send() rejects with BufferFullError after maxBlockMs while the broker holds requests back', async () => {
    // A produce quota of 1 KiB/s for this client id: the broker answers the first request with a throttle
    // time and stops reading the connection for seconds, so nothing more is acknowledged and the buffer fills.
    const clientId = uniqueName('producer-throttled')
    const quota = await runJavaTool('kafka.admin.ConfigCommand', [
      '--bootstrap-server',
      kafkaBootstrap(),
      '--alter',
      '--add-config',
      'producer_byte_rate=1024',
      '--entity-type',
      'clients',
      '--entity-name',
      clientId,
    ])
    expect(quota.code).toBe(0)
    const throttled = Cluster.create({ bootstrap: kafkaBootstrap(), clientId })
    const topic = await topics.create('producer-full', 1)
    const producer = new Producer(throttled, { bufferMemoryBytes: 8192, maxBlockMs: 300, lingerMs: 0 })
    try {
      const value = Buffer.alloc(1000)
      // Offer a record every 20 ms and note how each send ends and how long it took.
      const outcomes: Promise<{ error: unknown; tookMs: number }>[] = []
      let firstFull: { error: unknown; tookMs: number } | undefined
      for (let i = 0; i < 100 && firstFull === undefined; i++) {
        const started = Date.now()
        const outcome = producer.send({ topic, value }).then(
          () => ({ error: null, tookMs: Date.now() - started }),
          (error: unknown) => ({ error, tookMs: Date.now() - started }),
        )
        void outcome.then((o) => {
          if (o.error instanceof BufferFullError) firstFull ??= o
        })
        outcomes.push(outcome)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(firstFull).toBeDefined()
      expect(firstFull!.error).toBeInstanceOf(BufferFullError)
      expect((firstFull!.error as Error).message).toMatch(/bufferMemoryBytes 8192/)
      // It waited maxBlockMs for space before giving up, rather than failing at once or growing the buffer.
      expect(firstFull!.tookMs).toBeGreaterThanOrEqual(290)
      expect(firstFull!.tookMs).toBeLessThan(2000)
      await producer.close({ timeoutMs: 0 })
      const settled = await Promise.all(outcomes)
      // Whatever had not been acknowledged failed with ClosedError at close, none with anything unexpected.
      for (const { error } of settled) {
        if (error !== null) expect([BufferFullError, ClosedError]).toContain((error as Error).constructor)
      }
    } finally {
      await producer.close({ timeoutMs: 0 })
      await throttled.close()
    }
  })
})

describe('record errors name what is wrong', () => {
  it('an unknown topic fails naming the topic', async () => {
    const producer = new Producer(cluster, { maxBlockMs: 20_000 })
    const topic = uniqueName('producer-missing')
    const error = await rejection(producer.send({ topic, value: 'x' }))
    await producer.close()
    expect(error).toBeInstanceOf(KafkaError)
    expect((error as KafkaError).message).toContain(`"${topic}"`)
    expect((error as KafkaError).topic).toBe(topic)
  })

  it('a partition out of range fails naming topic, partition and count', async () => {
    const topic = await topics.create('producer-range', 2)
    const producer = new Producer(cluster)
    const error = await rejection(producer.send({ topic, partition: 5, value: 'x' }))
    await producer.close()
    expect(error).toBeInstanceOf(KafkaError)
    expect((error as KafkaError).message).toMatch(new RegExp(`"${topic}" has 2 partitions.*partition 5`))
    expect((error as KafkaError).partition).toBe(5)
  })

  it('a record over the topic max.message.bytes fails with RecordTooLargeError naming partition and size', async () => {
    const topic = await topics.create('producer-large', 1, { 'max.message.bytes': '2000' })
    const producer = new Producer(cluster)
    const error = await rejection(producer.send({ topic, value: Buffer.alloc(5000) }))
    // The producer keeps working for records that fit.
    const ok = await producer.send({ topic, value: Buffer.alloc(100) })
    await producer.close()
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect(error).toMatchObject({ topic, partition: 0, retriable: false })
    expect((error as RecordTooLargeError).sizeBytes).toBeGreaterThan(5000)
    expect((error as Error).message).toContain(`"${topic}" partition 0`)
    expect(ok.offset).toBeGreaterThanOrEqual(0n)
  })
})
