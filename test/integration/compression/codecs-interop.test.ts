/**
 * Every codec against the real broker, with samsa and the Java client on either end: samsa's producer and
 * Java's ProducerPerformance write batches compressed with one codec into one topic; samsa's consumer and
 * Java's console consumer must then read every record. A raw Fetch proves the stored batches really carry
 * that codec (the broker keeps the producer's compression with the default `compression.type=producer`).
 */

import { afterAll, describe, expect, it } from 'vitest'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { CompressionType } from '../../../src/protocol/compression/index.ts'
import {
  createFetchPartition,
  createFetchRequest,
  createFetchTopic,
  Fetch,
} from '../../../src/protocol/messages/fetch.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/index.ts'
import { consoleConsumer, producerPerformance } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

const SAMSA_RECORDS = 2_000
const JAVA_RECORDS = 2_000
const JAVA_RECORD_BYTES = 300

const topics = new TestTopics('compression-interop-test')
const { cluster } = topics

afterAll(() => topics.close())

/** Compressible, distinct values: repeated words with the record's index in them. */
function samsaValue(compression: string, i: number): string {
  return `${compression} record ${i}: ${'the quick brown fox '.repeat(10)}${i}`
}

async function readAll(topic: string, count: number): Promise<ConsumerMessage[]> {
  const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
  consumer.assign([{ topic, partition: 0 }])
  const messages: ConsumerMessage[] = []
  const deadline = Date.now() + 60_000
  try {
    while (messages.length < count && Date.now() < deadline) {
      messages.push(...(await consumer.poll({ timeoutMs: 500 })))
    }
  } finally {
    await consumer.close()
  }
  return messages
}

/** The codec of every batch stored in partition 0, read with a bare Fetch. */
async function storedCodecs(topic: string): Promise<Set<CompressionType>> {
  const connection = await cluster.leaderConnection(topic, 0)
  const codecs = new Set<CompressionType>()
  let offset = 0n
  for (;;) {
    const response = await connection.request(
      Fetch,
      createFetchRequest({
        replicaId: -1,
        maxWaitMs: 0,
        maxBytes: 8 << 20,
        topics: [
          createFetchTopic({
            topic,
            partitions: [
              createFetchPartition({ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20 }),
            ],
          }),
        ],
      }),
      { maxVersion: 12 },
    )
    const partition = response.responses[0]!.partitions[0]!
    expect(partition.errorCode).toBe(0)
    const { batches } = await decodeRecordBatches(partition.records ?? Buffer.alloc(0))
    if (batches.length === 0) return codecs
    for (const batch of batches) codecs.add(batch.compression)
    offset = batches.at(-1)!.lastOffset + 1n
  }
}

describe.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s', (compression) => {
  it('samsa and the Java client each read what both wrote', async () => {
    const topic = await topics.create(`compression-${compression}`)

    const producer = new Producer(cluster, { compression, lingerMs: 20 })
    await producer.sendBatch(
      Array.from({ length: SAMSA_RECORDS }, (_, i) => ({
        topic,
        partition: 0,
        key: `k${i}`,
        value: samsaValue(compression, i),
      })),
    )
    await producer.close()
    await producerPerformance({
      bootstrap: kafkaBootstrap(),
      topic,
      numRecords: JAVA_RECORDS,
      recordSize: JAVA_RECORD_BYTES,
      producerProps: { acks: 'all', 'compression.type': compression, 'linger.ms': 20 },
    })

    expect(await storedCodecs(topic)).toEqual(new Set([compression]))

    const total = SAMSA_RECORDS + JAVA_RECORDS
    const bySamsa = await readAll(topic, total)
    expect(bySamsa).toHaveLength(total)
    expect(bySamsa.map((m) => m.offset)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i)))
    for (let i = 0; i < SAMSA_RECORDS; i++) {
      expect(bySamsa[i]!.key?.toString()).toBe(`k${i}`)
      expect(bySamsa[i]!.value?.toString()).toBe(samsaValue(compression, i))
    }
    for (const message of bySamsa.slice(SAMSA_RECORDS)) {
      expect(message.key).toBeNull()
      expect(message.value).toHaveLength(JAVA_RECORD_BYTES)
    }

    const byJava = await consoleConsumer({ bootstrap: kafkaBootstrap(), topic, maxMessages: total })
    expect(byJava).toHaveLength(total)
    for (let i = 0; i < total; i++) {
      // Java's payloads are random ASCII letters, so both sides print and compare as UTF-8 strings.
      expect(byJava[i]!.offset).toBe(BigInt(i))
      expect(byJava[i]!.value).toBe(bySamsa[i]!.value!.toString())
    }
  }, 180_000)
})
