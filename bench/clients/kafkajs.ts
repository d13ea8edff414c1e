/**
 * kafkajs 2.2.4, configured as its documentation suggests for throughput: many messages per `send()` call
 * (it does no batching of its own), several calls in flight, `eachBatch` consumption.
 */

import { createRequire } from 'node:module'
import { Kafka, logLevel } from 'kafkajs'
import { deferred } from '../lib/deferred.ts'
import { measureRebalance } from '../lib/pause-tracker.ts'
import { makeValue, nowMs, paceSends, readStamp, stampedValue } from '../lib/payload.ts'
import { Primer } from '../lib/primer.ts'
import { consumeElapsedMs, LatencyRecorder } from '../lib/stats.ts'
import {
  type ConsumeTask,
  callShape,
  type LatencyTask,
  NotMeasurable,
  type ProduceTask,
  type RebalanceTask,
  runAdapter,
  type Settings,
} from '../lib/task.ts'
import { sendInChunks } from '../lib/windowed.ts'

const version = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version

function kafkaFor(bootstrap: string) {
  return new Kafka({ clientId: 'bench-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING })
}

async function produce(task: ProduceTask) {
  const producer = kafkaFor(task.bootstrap).producer()
  await producer.connect()
  const value = makeValue(task.sizeBytes)
  // kafkajs sends what one call carries as one produce request: calls as big as samsa's requests.
  const { recordsPerCall: chunkRecords, callsInFlight } = callShape(task)
  const messages = Array.from({ length: chunkRecords }, () => ({ value }))
  const start = performance.now()
  await sendInChunks(task.messages, chunkRecords, callsInFlight, (count) =>
    producer.send({
      topic: task.topic,
      acks: -1,
      messages: count === chunkRecords ? messages : messages.slice(0, count),
    }),
  )
  const elapsedMs = performance.now() - start
  await producer.disconnect()
  const settings: Settings = {
    acks: -1,
    idempotent: 'default (false)',
    api: `send(${chunkRecords} messages, ${Math.round((chunkRecords * task.sizeBytes) / 1024)} KiB) × ${callsInFlight} in flight`,
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
  const consumer = kafkaFor(task.bootstrap).consumer({ groupId: task.group })
  await consumer.connect()
  await consumer.subscribe({ topics: [task.topic], fromBeginning: true })
  const autoCommit = task.commit === 'auto'
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
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        count(message.value?.length ?? 0)
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
      },
    })
  } else {
    await consumer.run({
      autoCommit,
      ...(autoCommit ? { autoCommitInterval: 5000 } : {}),
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (received === 0) firstDelivery = batch.messages.length
        for (const message of batch.messages) {
          count(message.value?.length ?? 0)
          resolveOffset(message.offset)
        }
        if (task.commit === 'batch' && batch.messages.length > 0) {
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(batch.lastOffset()) + 1n).toString(),
            },
          ])
        }
        await heartbeat()
      },
    })
  }
  await done
  await consumer.disconnect()
  const settings: Settings = {
    mode: 'subscribe (classic group, eager)',
    api: task.commit === 'message' ? 'eachMessage' : 'eachBatch',
    autoCommit,
    ...(autoCommit ? { autoCommitInterval: 5000 } : {}),
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
  const producer = kafka.producer()
  const consumer = kafka.consumer({ groupId: task.group })
  await Promise.all([producer.connect(), consumer.connect()])
  await consumer.subscribe({ topics: [task.topic], fromBeginning: true })
  const latencies = new LatencyRecorder(task.messages)
  const primer = new Primer(task.partitions)
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
  const { promise: done, resolve } = deferred()
  let received = 0
  await consumer.run({
    autoCommit: false,
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
  await joined
  const template = makeValue(task.sizeBytes)
  await producer.send({
    topic: task.topic,
    acks: -1,
    messages: Array.from({ length: task.partitions }, (_, partition) => ({
      partition,
      value: primer.value(template),
    })),
  })
  await primer.ready()
  const start = performance.now()
  await paceSends(task.ratePerSec, task.messages, (count) => {
    const messages = Array.from({ length: count }, () => ({ value: stampedValue(template) }))
    producer.send({ topic: task.topic, acks: -1, messages }).catch((error: unknown) => {
      process.stderr.write(`send failed: ${String(error)}\n`)
      process.exit(1)
    })
  })
  await done
  const elapsedMs = performance.now() - start
  await Promise.all([producer.disconnect(), consumer.disconnect()])
  const settings: Settings = {
    acks: -1,
    api: 'send per 5 ms tick + eachBatch',
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

async function rebalance(task: RebalanceTask) {
  if (task.protocol !== 'eager') {
    throw new NotMeasurable(
      task.protocol === 'cooperative'
        ? 'kafkajs has only eager assignors'
        : 'kafkajs does not implement the KIP-848 consumer protocol',
    )
  }
  const kafka = kafkaFor(task.bootstrap)
  const producer = kafka.producer()
  await producer.connect()
  const measured = await measureRebalance(task, {
    startMember: async (onRecord) => {
      const consumer = kafka.consumer({ groupId: task.group })
      await consumer.connect()
      await consumer.subscribe({ topics: [task.topic] })
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (let i = 0; i < batch.messages.length; i++) onRecord(batch.partition)
        },
      })
      return { stop: () => consumer.disconnect() }
    },
    send: (partition, value) => {
      producer.send({ topic: task.topic, acks: -1, messages: [{ partition, value }] }).catch(() => {})
    },
    closeProducer: () => producer.disconnect(),
  })
  const settings: Settings = { assigner: 'RoundRobin (default, eager)', heartbeatInterval: 'default (3000)' }
  return { ...measured, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

await runAdapter({ client: 'kafkajs', version, produce, consume, latency, rebalance })
