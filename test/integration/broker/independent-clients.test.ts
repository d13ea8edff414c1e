/**
 * Wire fidelity of samsa's in-process broker, checked by clients samsa did not write: kafkajs,
 * @platformatic/kafka and Apache Kafka's own Java tools produce to it, consume from it in a group and commit,
 * and samsa reads back what they wrote. These are the proof that it is a Kafka broker, not a mock of
 * samsa's own expectations. The broker runs in this test process; only the Java tools need Java.
 */

import { Consumer as PlatformaticConsumer, Producer as PlatformaticProducer } from '@platformatic/kafka'
import { Kafka as KafkaJs, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import {
  consoleConsumer,
  consumerGroupDescribe,
  producerPerformance,
  runJavaTool,
} from '../../../src/testing/java-tools.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/test-broker.ts'

let broker: TestBroker
let cluster: Cluster

beforeAll(async () => {
  broker = await startTestBroker({ nodes: 3, consumerHeartbeatIntervalMs: 500 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'fidelity-samsa' })
})

afterAll(async () => {
  // What the independent clients sent, by API and version, for the record of what this broker must serve.
  console.info([...broker.server.requestsServed].map(([key, n]) => `${key}: ${n}`).join(', '))
  // Every request of every client was served: none closed its connection on the broker's side.
  expect(broker.requestErrors.map((error) => error.message)).toEqual([])
  await cluster.close()
  await broker.close()
})

/** Every value samsa reads from the topic's partitions, from the beginning. */
async function samsaReads(topic: string, partitions: number, count: number): Promise<string[]> {
  const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
  const values: string[] = []
  const deadline = Date.now() + 20_000
  while (values.length < count && Date.now() < deadline) {
    for (const m of await consumer.poll({ timeoutMs: 200 })) values.push(m.value!.toString())
  }
  await consumer.close()
  return values.sort()
}

const committedTotal = (group: string) =>
  broker.committedOffsets(group).reduce((sum, c) => sum + c.offset, 0n)

describe('kafkajs against the in-process broker', () => {
  it('produces, consumes in a group and commits', async () => {
    const topic = 'fidelity-kafkajs'
    broker.createTopic(topic, { partitions: 3 })
    const kafka = new KafkaJs({
      clientId: 'fidelity-kafkajs',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
    })
    const producer = kafka.producer()
    await producer.connect()
    const values = Array.from({ length: 30 }, (_, i) => `kafkajs-${String(i).padStart(2, '0')}`)
    await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) })
    await producer.disconnect()

    const consumer = kafka.consumer({ groupId: 'fidelity-kafkajs-group' })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic: t, partition, message }) => {
            seen.push(message.value!.toString())
            await consumer.commitOffsets([
              { topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() },
            ])
            if (seen.length === values.length) resolve()
          },
        })
        .catch(reject)
    })
    await consumer.disconnect()
    expect(seen.sort()).toEqual(values)
    expect(committedTotal('fidelity-kafkajs-group')).toBe(30n)
    expect(await samsaReads(topic, 3, 30)).toEqual(values)
  })
})

describe('@platformatic/kafka against the in-process broker', () => {
  it('produces, consumes in a group and commits', async () => {
    const topic = 'fidelity-platformatic'
    broker.createTopic(topic, { partitions: 2 })
    const producer = new PlatformaticProducer({
      clientId: 'fidelity-platformatic',
      bootstrapBrokers: broker.brokers,
      acks: -1,
    })
    const values = Array.from({ length: 20 }, (_, i) => `platformatic-${String(i).padStart(2, '0')}`)
    await producer.send({
      messages: values.map((value, i) => ({ topic, key: Buffer.from(`k${i}`), value: Buffer.from(value) })),
    })
    await producer.close()

    const consumer = new PlatformaticConsumer({
      groupId: 'fidelity-platformatic-group',
      clientId: 'fidelity-platformatic',
      bootstrapBrokers: broker.brokers,
    })
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
    const seen: string[] = []
    for await (const message of stream) {
      seen.push(message.value!.toString())
      await message.commit()
      if (seen.length === values.length) break
    }
    await stream.close()
    await consumer.close(true)
    expect(seen.sort()).toEqual(values)
    expect(committedTotal('fidelity-platformatic-group')).toBe(20n)
    expect(await samsaReads(topic, 2, 20)).toEqual(values)
  })
})

describe("Apache Kafka's Java tools against the in-process broker", () => {
  it('console producer, ProducerPerformance, console consumer in a group, ConsumerGroupCommand', async () => {
    const topic = 'fidelity-java'
    broker.createTopic(topic, { partitions: 2 })
    const lines = Array.from({ length: 10 }, (_, i) => `java-${i}`)
    const produced = await runJavaTool(
      'org.apache.kafka.tools.ConsoleProducer',
      ['--bootstrap-server', broker.bootstrap, '--topic', topic],
      { input: `${lines.join('\n')}\n` },
    )
    expect(produced.code, produced.stderr).toBe(0)
    const perf = await producerPerformance({
      bootstrap: broker.bootstrap,
      topic,
      numRecords: 1000,
      recordSize: 100,
      producerProps: { acks: 'all' },
    })
    expect(perf.records).toBe(1000)
    expect(broker.partition(topic, 0).logEndOffset + broker.partition(topic, 1).logEndOffset).toBe(1010n)

    const consumed = await consoleConsumer({
      bootstrap: broker.bootstrap,
      topic,
      maxMessages: 1010,
      group: 'fidelity-java-group',
      idleTimeoutMs: 10_000,
    })
    expect(consumed.length).toBe(1010)
    expect(
      consumed
        .filter((r) => r.value?.startsWith('java-'))
        .map((r) => r.value)
        .sort(),
    ).toEqual(lines)

    const rows = await consumerGroupDescribe({ bootstrap: broker.bootstrap, group: 'fidelity-java-group' })
    expect(rows.map((r) => [r.partition, r.currentOffset, r.lag]).sort()).toEqual([
      [0, broker.partition(topic, 0).logEndOffset, 0n],
      [1, broker.partition(topic, 1).logEndOffset, 0n],
    ])
    expect(await samsaReads(topic, 2, 1010)).toHaveLength(1010)
  })

  it('a transactional ProducerPerformance (Java 4.3, transaction version 2) read by a KIP-848 console consumer', async () => {
    const topic = 'fidelity-java-txn'
    broker.createTopic(topic, { partitions: 2 })
    const perf = await producerPerformance({
      bootstrap: broker.bootstrap,
      topic,
      numRecords: 500,
      recordSize: 50,
      producerProps: { 'transactional.id': 'fidelity-java-txn', 'transaction.timeout.ms': 60_000 },
    })
    expect(perf.records).toBe(500)
    // The Java 4.3 client chose transaction version 2: EndTxn v5, no AddPartitionsToTxn.
    const served = [...broker.server.requestsServed.keys()]
    expect(served).toContain('EndTxn v5')
    expect(served.filter((key) => key.startsWith('AddPartitionsToTxn'))).toEqual([])
    // The transactions ended with markers and none is open, so the last stable offset is the log end.
    const partitions = [0, 1].map((p) => broker.server.state.topics.partition(topic, p)!)
    expect(partitions.some((state) => state.log.batches.some((b) => b.control))).toBe(true)
    for (const state of partitions) {
      expect(broker.server.state.lastStableOffset(state, 1)).toBe(state.log.logEndOffset)
    }
    const consumed = await consoleConsumer({
      bootstrap: broker.bootstrap,
      topic,
      maxMessages: 500,
      group: 'fidelity-java-848',
      idleTimeoutMs: 10_000,
      properties: { 'group.protocol': 'consumer', 'isolation.level': 'read_committed' },
    })
    expect(consumed.length).toBe(500)
    const rows = await consumerGroupDescribe({ bootstrap: broker.bootstrap, group: 'fidelity-java-848' })
    expect(rows.map((r) => r.partition).sort()).toEqual([0, 1])
    // The tool stops at the 500th record; whether its position already passed the final commit marker
    // depends on what its last fetch held, so the committed offset is the log end or the marker before it.
    for (const row of rows) expect(row.lag! <= 1n).toBe(true)
  })
})
