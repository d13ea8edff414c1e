/**
 * Byte-rate quotas (KIP-219) against the real broker: a client id gets a `consumer_byte_rate` or
 * `producer_byte_rate` through Kafka's own ConfigCommand, then moves a backlog several times larger than
 * the quota lets through in one quota window. The broker answers with throttle times; samsa must honour
 * them (the cluster's throttle totals grow and the transfer takes at least as long as the throttles it
 * reported) while still moving every record, in order.
 *
 * The broker measures rates over about eleven one-second samples and treats a young window as ten seconds
 * long, so a client may move roughly ten seconds' worth of quota before the first throttle. The backlogs
 * are sized at about sixteen seconds' worth, and the time bounds are loose lower bounds only.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { createTopicWithJava, producerPerformance, runJavaTool } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'

const BYTE_RATE = 128 * 1024
const RECORD_BYTES = 1000
const RECORDS = 2000

const quotaClients: { clientId: string; quota: string }[] = []

async function setQuota(clientId: string, quota: 'consumer_byte_rate' | 'producer_byte_rate'): Promise<void> {
  const result = await runJavaTool('kafka.admin.ConfigCommand', [
    '--bootstrap-server',
    kafkaBootstrap(),
    '--alter',
    '--add-config',
    `${quota}=${BYTE_RATE}`,
    '--entity-type',
    'clients',
    '--entity-name',
    clientId,
  ])
  expect(result.code, result.stderr).toBe(0)
  quotaClients.push({ clientId, quota })
  // The controller hands the quota to the broker through the metadata log; give it a moment to land, so
  // the first requests are already measured against it.
  await new Promise((resolve) => setTimeout(resolve, 1000))
}

async function createTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix)
  await createTopicWithJava({ bootstrap: kafkaBootstrap(), topic, partitions: 1 })
  return topic
}

afterAll(async () => {
  for (const { clientId, quota } of quotaClients) {
    await runJavaTool('kafka.admin.ConfigCommand', [
      '--bootstrap-server',
      kafkaBootstrap(),
      '--alter',
      '--delete-config',
      quota,
      '--entity-type',
      'clients',
      '--entity-name',
      clientId,
    ])
  }
}, 60_000)

describe('consumer_byte_rate', () => {
  let topic: string

  beforeAll(async () => {
    topic = await createTopic('quota-consume')
    await producerPerformance({
      bootstrap: kafkaBootstrap(),
      topic,
      numRecords: RECORDS,
      recordSize: RECORD_BYTES,
      producerProps: { acks: 'all' },
    })
  }, 120_000)

  it('a throttled consumer reads the whole backlog in order, waiting out the throttles the broker reports', async () => {
    const clientId = uniqueName('quota-consumer')
    await setQuota(clientId, 'consumer_byte_rate')
    const cluster = Cluster.create({ bootstrap: kafkaBootstrap(), clientId })
    const consumer = new Consumer(cluster, {
      autoOffsetReset: 'earliest',
      maxPartitionFetchBytes: 256 * 1024,
    })
    try {
      consumer.assign([{ topic, partition: 0 }])
      const started = performance.now()
      let next = 0n
      while (next < BigInt(RECORDS) && performance.now() - started < 50_000) {
        for (const message of await consumer.poll({ timeoutMs: 500 })) {
          expect(message.offset).toBe(next)
          expect(message.value).toHaveLength(RECORD_BYTES)
          next++
        }
      }
      const elapsedMs = performance.now() - started
      expect(next).toBe(BigInt(RECORDS))

      const { throttledMs, throttledResponses } = cluster.throttleMetrics
      expect(throttledResponses).toBeGreaterThan(0)
      expect(throttledMs).toBeGreaterThan(0)
      // One connection fetches one partition, so its throttles follow one another: the consumer cannot have
      // finished sooner than they add up to (a little slack for timer rounding).
      expect(elapsedMs).toBeGreaterThanOrEqual(throttledMs * 0.95)
      // ~2 MB at 128 KiB/s is ~16 s of quota, of which the broker lets ~10 s through at once.
      expect(elapsedMs).toBeGreaterThanOrEqual(2000)
    } finally {
      await consumer.close()
      await cluster.close()
    }
  }, 90_000)
})

describe('producer_byte_rate', () => {
  it('a throttled producer gets every record acknowledged in order, waiting out the throttles the broker reports', async () => {
    const topic = await createTopic('quota-produce')
    const clientId = uniqueName('quota-producer')
    await setQuota(clientId, 'producer_byte_rate')
    const cluster = Cluster.create({ bootstrap: kafkaBootstrap(), clientId })
    const producer = new Producer(cluster, { lingerMs: 5 })
    try {
      const value = Buffer.alloc(RECORD_BYTES, 7)
      const started = performance.now()
      const sends = Array.from({ length: RECORDS }, (_, i) => producer.send({ topic, key: String(i), value }))
      const offsets = (await Promise.all(sends)).map((r) => r.offset)
      const elapsedMs = performance.now() - started
      expect(offsets).toEqual(Array.from({ length: RECORDS }, (_, i) => BigInt(i)))

      const { throttledMs, throttledResponses } = cluster.throttleMetrics
      expect(throttledResponses).toBeGreaterThan(0)
      expect(throttledMs).toBeGreaterThan(0)
      // Produce requests pipeline, so their throttles may overlap; only the quota's own bound applies:
      // ~2 MB at 128 KiB/s is ~16 s of quota, of which the broker lets ~10 s through at once.
      expect(elapsedMs).toBeGreaterThanOrEqual(2000)
    } finally {
      await producer.close()
      await cluster.close()
    }
  }, 90_000)
})
