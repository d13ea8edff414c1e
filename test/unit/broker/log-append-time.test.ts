/**
 * `message.timestamp.type=LogAppendTime` on the in-process broker, as Kafka applies it: each batch is stamped
 * with the broker's time on append (the batch's timestamp type and max timestamp, with a new CRC), the
 * Produce answer carries that time, consumers read it as every record's timestamp, and lookups by time use
 * it. The broker's clock is moved ten years ahead, so the stamp cannot be the producer's time by chance.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/index.ts'

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000

let broker: TestBroker
let cluster: Cluster

beforeAll(async () => {
  broker = await startTestBroker({
    topics: [
      { topic: 'append-time', configs: { 'message.timestamp.type': 'LogAppendTime' } },
      { topic: 'create-time' },
    ],
  })
  broker.advanceClock(TEN_YEARS_MS)
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'log-append-time' })
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function readOne(topic: string): Promise<ConsumerMessage> {
  const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
  consumer.assign([{ topic, partition: 0 }])
  for (;;) {
    const [message] = await consumer.poll({ timeoutMs: 100 })
    if (message !== undefined) {
      await consumer.close()
      return message
    }
  }
}

it('a LogAppendTime topic stamps the batch with the broker time; a CreateTime topic keeps the producer time', async () => {
  const producer = new Producer(cluster, { lingerMs: 0 })
  const before = Date.now() + TEN_YEARS_MS
  const stamped = await producer.send({ topic: 'append-time', value: 'a', timestamp: 1000 })
  const after = Date.now() + TEN_YEARS_MS
  const kept = await producer.send({ topic: 'create-time', value: 'c', timestamp: 1000 })
  await producer.close()

  expect(stamped.timestamp).toBeGreaterThanOrEqual(before)
  expect(stamped.timestamp).toBeLessThanOrEqual(after)
  const appended = await readOne('append-time')
  expect([appended.timestamp, appended.timestampType]).toEqual([stamped.timestamp, 'log-append'])
  expect(kept.timestamp).toBe(1000)
  const created = await readOne('create-time')
  expect([created.timestamp, created.timestampType]).toEqual([1000, 'create'])

  const admin = new Admin(cluster)
  const at = async (timestamp: number) =>
    (await admin.offsetsForTimestamp('append-time', timestamp)).map((p) => [p.offset, p.timestamp])
  // The producer's 1000 is gone: a lookup by it or by the stamped time finds the record with the stamped
  // time; one a millisecond later finds none (the admin answers the log end, with timestamp -1).
  expect(await at(1000)).toEqual([[0n, stamped.timestamp]])
  expect(await at(stamped.timestamp)).toEqual([[0n, stamped.timestamp]])
  expect(await at(stamped.timestamp + 1)).toEqual([[1n, -1]])
})
