import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ConfigError, IllegalStateError } from '../../../src/common/errors.ts'
import type { TopicPartition } from '../../../src/common/types.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { createTopic } from './group-kit.ts'

describe('Consumer.subscribe', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`${groupProtocol}: reads every partition the group assigns and revokes them on close`, async () => {
      const topic = uniqueName('subscribe')
      await createTopic(topic, 3)
      const cluster = Cluster.create({ bootstrap: kafkaBootstrap() })
      closers.push(() => cluster.close())
      const producer = new Producer(cluster, {})
      for (let partition = 0; partition < 3; partition++) {
        await producer.send({ topic, partition, value: `v${partition}` })
      }
      await producer.close()

      const consumer = new Consumer(cluster, {
        groupId: uniqueName('g'),
        groupProtocol,
        autoOffsetReset: 'earliest',
        ...(groupProtocol === 'classic' && { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 }),
      })
      let consumerOpen = true
      closers.push(async () => {
        if (consumerOpen) await consumer.close()
      })
      const assigned: TopicPartition[][] = []
      const revoked: TopicPartition[][] = []
      consumer.subscribe([topic], {
        onPartitionsAssigned: (partitions) => {
          assigned.push(partitions)
        },
        onPartitionsRevoked: async (partitions) => {
          // Positions still exist while the listener runs, so offsets could be committed here.
          for (const tp of partitions) expect(consumer.position(tp)).toBe(1n)
          revoked.push(partitions)
        },
      })
      expect(() => consumer.assign([{ topic, partition: 0 }])).toThrow(IllegalStateError)

      const values: string[] = []
      const deadline = Date.now() + 45_000
      while (values.length < 3 && Date.now() < deadline) {
        for (const message of await consumer.poll({ timeoutMs: 500 })) values.push(message.value!.toString())
      }
      expect(values.sort()).toEqual(['v0', 'v1', 'v2'])
      expect(assigned.flat()).toHaveLength(3)
      expect(consumer.groupMetadata().memberId).not.toBe('')

      await consumer.close()
      consumerOpen = false
      expect(
        revoked
          .flat()
          .map((tp) => tp.partition)
          .sort(),
      ).toEqual([0, 1, 2])
    })
  }

  it('validates the subscription and requires a groupId', () => {
    const cluster = Cluster.create({ bootstrap: kafkaBootstrap() })
    closers.push(() => cluster.close())
    expect(() => new Consumer(cluster, {}).subscribe(['t'])).toThrow(/groupId/)
    const consumer = new Consumer(cluster, { groupId: 'g' })
    expect(() => consumer.subscribe(['bad topic'])).toThrow(ConfigError)
    expect(() => consumer.subscribe(/x/g)).toThrow(/g or y flag/)
  })
})
