/**
 * @confluentinc/kafka-javascript (librdkafka underneath), through its KafkaJS-compatible API, loaded from
 * bench/.peers where bench/setup.sh builds it. librdkafka batches on its own (linger.ms), so the adapter
 * keeps many sends in flight as its documentation suggests.
 */

import { createRequire } from 'node:module'
import { deferred } from '../lib/deferred.ts'
import { measureRebalance } from '../lib/pause-tracker.ts'
import { makeValue, nowMs, paceSends, readStamp, stampedValue } from '../lib/payload.ts'
import { peersDir } from '../lib/peers.ts'
import { Primer } from '../lib/primer.ts'
import { consumeElapsedMs, LatencyRecorder } from '../lib/stats.ts'
import {
  type ConsumeTask,
  LATENCY_LINGER_MS,
  type LatencyTask,
  type ProduceTask,
  type RebalanceTask,
  runAdapter,
  type Settings,
} from '../lib/task.ts'
import { sendInChunks } from '../lib/windowed.ts'

// The module is built outside the project's node_modules and has no types there; this is the slice used.
interface KafkaMessage {
  offset: string
  value: Buffer | null
}
interface Batch {
  topic: string
  partition: number
  messages: KafkaMessage[]
  lastOffset(): string
}
interface CompatProducer {
  connect(): Promise<void>
  disconnect(): Promise<void>
  send(record: { topic: string; messages: { value: Buffer; partition?: number }[] }): Promise<unknown>
}
interface CompatConsumer {
  connect(): Promise<void>
  disconnect(): Promise<void>
  subscribe(subscription: { topics: string[] }): Promise<void>
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>
  run(config: {
    eachMessage?: (payload: { topic: string; partition: number; message: KafkaMessage }) => Promise<void>
    eachBatch?: (payload: { batch: Batch }) => Promise<void>
  }): Promise<void>
}
interface CompatKafka {
  producer(config: Record<string, unknown>): CompatProducer
  consumer(config: Record<string, unknown>): CompatConsumer
}

const requireFromPeers = createRequire(peersDir)
const library = requireFromPeers('@confluentinc/kafka-javascript') as {
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => CompatKafka }
  librdkafkaVersion: string
}
const packageVersion = (
  requireFromPeers('@confluentinc/kafka-javascript/package.json') as { version: string }
).version
const version = `${packageVersion} (librdkafka ${library.librdkafkaVersion})`

const chunkRecords = 1000
const chunksInFlight = 32

function kafkaFor(bootstrap: string): CompatKafka {
  return new library.KafkaJS.Kafka({ kafkaJS: { brokers: bootstrap.split(','), logLevel: 0 } })
}

async function produce(task: ProduceTask) {
  const producerSettings: Settings = { acks: -1, 'linger.ms': 10, 'batch.size': task.batchBytes }
  const producer = kafkaFor(task.bootstrap).producer({
    kafkaJS: { acks: -1 },
    'linger.ms': 10,
    'batch.size': task.batchBytes,
  })
  await producer.connect()
  const value = makeValue(task.sizeBytes)
  const messages = Array.from({ length: chunkRecords }, () => ({ value }))
  const start = performance.now()
  await sendInChunks(task.messages, chunkRecords, chunksInFlight, (count) =>
    producer.send({
      topic: task.topic,
      messages: count === chunkRecords ? messages : messages.slice(0, count),
    }),
  )
  const elapsedMs = performance.now() - start
  await producer.disconnect()
  const settings: Settings = {
    ...producerSettings,
    'enable.idempotence': 'default (false)',
    api: `KafkaJS.send(${chunkRecords} messages) × ${chunksInFlight} in flight`,
  }
  return {
    elapsedMs,
    messages: task.messages,
    bytes: task.messages * task.sizeBytes,
    p50Ms: null,
    p99Ms: null,
    p999Ms: null,
    settings,
  }
}

async function consume(task: ConsumeTask) {
  const autoCommit = task.commit === 'auto'
  const consumer = kafkaFor(task.bootstrap).consumer({
    kafkaJS: {
      groupId: task.group,
      fromBeginning: true,
      autoCommit,
      ...(autoCommit ? { autoCommitInterval: 5000 } : {}),
    },
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [task.topic] })
  let received = 0
  let bytes = 0
  let first = 0
  let last = 0
  // Records in the first delivery (a batch, or one message with eachMessage): see consumeElapsedMs.
  let firstDelivery = 1
  const { promise: done, resolve } = deferred()
  const count = (size: number) => {
    if (received === 0) first = performance.now()
    received++
    bytes += size
    if (received === task.messages) {
      last = performance.now()
      resolve()
    }
  }
  if (task.commit === 'message') {
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        count(message.value?.length ?? 0)
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
      },
    })
  } else {
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (received === 0) firstDelivery = batch.messages.length
        for (const message of batch.messages) count(message.value?.length ?? 0)
        if (task.commit === 'batch' && batch.messages.length > 0) {
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(batch.lastOffset()) + 1n).toString(),
            },
          ])
        }
      },
    })
  }
  await done
  await consumer.disconnect()
  const settings: Settings = {
    mode: 'subscribe (classic group)',
    api: task.commit === 'message' ? 'eachMessage' : 'eachBatch',
    autoCommit,
    commit: task.commit,
  }
  return {
    elapsedMs: consumeElapsedMs(last - first, received, firstDelivery),
    messages: received,
    bytes,
    p50Ms: null,
    p99Ms: null,
    p999Ms: null,
    settings,
  }
}

async function latency(task: LatencyTask) {
  const kafka = kafkaFor(task.bootstrap)
  const producer = kafka.producer({ kafkaJS: { acks: -1 }, 'linger.ms': LATENCY_LINGER_MS })
  const consumer = kafka.consumer({
    kafkaJS: { groupId: task.group, fromBeginning: true, autoCommit: false },
  })
  await Promise.all([producer.connect(), consumer.connect()])
  await consumer.subscribe({ topics: [task.topic] })
  const latencies = new LatencyRecorder(task.messages)
  const primer = new Primer(task.partitions)
  const { promise: done, resolve } = deferred()
  let received = 0
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = nowMs()
      for (const message of batch.messages) {
        if (!message.value || primer.take(batch.partition, message.value)) continue
        latencies.record(now - readStamp(message.value))
        received++
      }
      if (received >= task.messages) resolve()
    },
  })
  const template = makeValue(task.sizeBytes)
  // run() returns before the group is joined; the clock waits for a primer record from every partition.
  await producer.send({
    topic: task.topic,
    messages: Array.from({ length: task.partitions }, (_, partition) => ({
      partition,
      value: primer.value(template),
    })),
  })
  await primer.ready()
  const start = performance.now()
  await paceSends(task.ratePerSec, task.messages, (count) => {
    const messages = Array.from({ length: count }, () => ({ value: stampedValue(template) }))
    producer.send({ topic: task.topic, messages }).catch((error: unknown) => {
      process.stderr.write(`send failed: ${String(error)}\n`)
      process.exit(1)
    })
  })
  await done
  const elapsedMs = performance.now() - start
  await Promise.all([producer.disconnect(), consumer.disconnect()])
  const settings: Settings = {
    acks: -1,
    'linger.ms': LATENCY_LINGER_MS,
    api: 'KafkaJS send per 5 ms tick + eachBatch',
    clock: 'after a primer record from every partition',
  }
  return {
    elapsedMs,
    messages: task.messages,
    bytes: task.messages * task.sizeBytes,
    ...latencies.summary(),
    settings,
  }
}

const groupSettingsFor: Record<RebalanceTask['protocol'], Record<string, string>> = {
  eager: { 'partition.assignment.strategy': 'range' },
  cooperative: { 'partition.assignment.strategy': 'cooperative-sticky' },
  consumer: { 'group.protocol': 'consumer' },
}

async function rebalance(task: RebalanceTask) {
  const kafka = kafkaFor(task.bootstrap)
  const producer = kafka.producer({ kafkaJS: { acks: -1 } })
  await producer.connect()
  const groupSettings = groupSettingsFor[task.protocol]
  const measured = await measureRebalance(task, {
    startMember: async (onRecord) => {
      const consumer = kafka.consumer({
        kafkaJS: { groupId: task.group, autoCommit: false },
        ...groupSettings,
      })
      await consumer.connect()
      await consumer.subscribe({ topics: [task.topic] })
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (let i = 0; i < batch.messages.length; i++) onRecord(batch.partition)
        },
      })
      return { stop: () => consumer.disconnect() }
    },
    send: (partition, value) => {
      producer.send({ topic: task.topic, messages: [{ partition, value }] }).catch(() => {})
    },
    closeProducer: () => producer.disconnect(),
  })
  return { ...measured, p50Ms: null, p99Ms: null, p999Ms: null, settings: groupSettings }
}

await runAdapter({ client: 'confluent', version, produce, consume, latency, rebalance })
