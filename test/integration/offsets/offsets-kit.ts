/** Helpers for the offset API's integration tests: topics with records, and consumers that clean up. */

import type { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerOptions } from '../../../src/consumer/consumer-options.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { createTopic, newCluster, produceBatch } from '../consumer/consumer-kit.ts'

export { newCluster }

/** A topic with `partitions` partitions holding `perPartition` records each (values `p<partition>-<i>`). */
export async function topicWithRecords(
  prefix: string,
  partitions: number,
  perPartition: number,
): Promise<string> {
  const topic = uniqueName(prefix)
  await createTopic(topic, partitions)
  const cluster = newCluster()
  try {
    for (let p = 0; p < partitions; p++) {
      const records = Array.from({ length: perPartition }, (_, i) => ({
        value: `p${p}-${i}`,
        timestamp: Date.now(),
      }))
      await produceBatch(cluster, topic, p, records)
    }
  } finally {
    await cluster.close()
  }
  return topic
}

/** Consumers and clusters made by a test, closed by {@link TestConsumers.closeAll}. */
export class TestConsumers {
  private readonly open: { consumer: Consumer; cluster: Cluster }[] = []

  create(options: ConsumerOptions): Consumer {
    const cluster = newCluster()
    const consumer = new Consumer(cluster, options)
    this.open.push({ consumer, cluster })
    return consumer
  }

  /** Closes `consumer` (its final commit included) and its cluster. */
  async close(consumer: Consumer): Promise<void> {
    const index = this.open.findIndex((entry) => entry.consumer === consumer)
    const [entry] = this.open.splice(index, 1)
    await entry?.consumer.close()
    await entry?.cluster.close()
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((entry) => this.close(entry.consumer)))
  }
}

/** Polls until `count` records arrived (or fails after `timeoutMs`). */
export async function pollAtLeast(
  consumer: Consumer,
  count: number,
  timeoutMs = 20_000,
): Promise<ConsumerMessage[]> {
  const received: ConsumerMessage[] = []
  const deadline = Date.now() + timeoutMs
  while (received.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${received.length} of ${count} records arrived`)
    received.push(...(await consumer.poll({ timeoutMs: 500 })))
  }
  return received
}

/** The first offset a fresh consumer of `group` reads per partition. */
export async function firstOffsets(
  consumers: TestConsumers,
  group: string,
  topic: string,
  partitions: number,
): Promise<Map<number, bigint>> {
  const consumer = consumers.create({ groupId: group, autoOffsetReset: 'earliest', enableAutoCommit: false })
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
  const first = new Map<number, bigint>()
  const deadline = Date.now() + 20_000
  while (first.size < partitions && Date.now() < deadline) {
    for (const message of await consumer.poll({ timeoutMs: 500 })) {
      if (!first.has(message.partition)) first.set(message.partition, message.offset)
    }
  }
  await consumers.close(consumer)
  return first
}

export function groupName(prefix: string): string {
  return uniqueName(`g-${prefix}`)
}

/** Per partition, the offset after the last of `messages` (what a commit of them stores). */
export function nextOffsets(messages: readonly ConsumerMessage[]): Map<number, bigint> {
  const next = new Map<number, bigint>()
  for (const m of messages) next.set(m.partition, m.offset + 1n)
  return next
}
