/**
 * @platformatic/kafka, configured as its README shows: Buffer values without serialisers, many messages per
 * `send()`, and the consumer's message stream.
 */

import { readFileSync } from 'node:fs'
import { Consumer, Producer } from '@platformatic/kafka'
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

// The package's exports map hides package.json, so it is read by path.
const version = (
  JSON.parse(
    readFileSync(new URL('../../node_modules/@platformatic/kafka/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version

function producerFor(bootstrap: string) {
  // acks is set explicitly: the library's default for a non-idempotent producer is the leader only.
  return new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: bootstrap.split(','), acks: -1 })
}

async function produce(task: ProduceTask) {
  const producer = producerFor(task.bootstrap)
  await producer.metadata({ topics: [task.topic] })
  const value = makeValue(task.sizeBytes)
  // platformatic sends what one call carries as one produce request: calls as big as samsa's requests.
  const { recordsPerCall: chunkRecords, callsInFlight } = callShape(task)
  const messages = Array.from({ length: chunkRecords }, () => ({ topic: task.topic, value }))
  const start = performance.now()
  await sendInChunks(task.messages, chunkRecords, callsInFlight, (count) =>
    producer.send({ messages: count === chunkRecords ? messages : messages.slice(0, count) }),
  )
  const elapsedMs = performance.now() - start
  await producer.close()
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
  if (task.commit === 'batch') {
    throw new NotMeasurable('the message stream has no batch boundary to commit at')
  }
  const autocommit = task.commit === 'auto' ? 5000 : false
  const consumer = new Consumer({
    groupId: task.group,
    clientId: 'bench-platformatic',
    bootstrapBrokers: task.bootstrap.split(','),
  })
  const stream = await consumer.consume({ topics: [task.topic], mode: 'earliest', autocommit })
  let received = 0
  let bytes = 0
  let first = 0
  for await (const message of stream) {
    if (received === 0) first = performance.now()
    received++
    bytes += message.value?.length ?? 0
    if (task.commit === 'message') await message.commit()
    if (received === task.messages) break
  }
  // The stream hands out one message at a time: the first delivery is one record.
  const elapsedMs = consumeElapsedMs(performance.now() - first, received, 1)
  await stream.close()
  await consumer.close(true)
  const settings: Settings = {
    mode: 'subscribe (classic group)',
    api: 'consume() stream',
    autocommit,
    commit: task.commit,
  }
  return { elapsedMs, messages: received, bytes, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

async function latency(task: LatencyTask) {
  const producer = producerFor(task.bootstrap)
  const consumer = new Consumer({
    groupId: task.group,
    clientId: 'bench-platformatic',
    bootstrapBrokers: task.bootstrap.split(','),
  })
  await producer.metadata({ topics: [task.topic] })
  const stream = await consumer.consume({ topics: [task.topic], mode: 'earliest', autocommit: false })
  const latencies = new LatencyRecorder(task.messages)
  const primer = new Primer(task.partitions)
  const consumed = (async () => {
    let received = 0
    for await (const message of stream) {
      if (!message.value || primer.take(message.partition, message.value)) continue
      latencies.record(nowMs() - readStamp(message.value))
      if (++received >= task.messages) break
    }
  })()
  const template = makeValue(task.sizeBytes)
  await producer.send({
    messages: Array.from({ length: task.partitions }, (_, partition) => ({
      topic: task.topic,
      partition,
      value: primer.value(template),
    })),
  })
  await primer.ready()
  const start = performance.now()
  await paceSends(task.ratePerSec, task.messages, (count) => {
    const messages = Array.from({ length: count }, () => ({
      topic: task.topic,
      value: stampedValue(template),
    }))
    producer.send({ messages }).catch((error: unknown) => {
      process.stderr.write(`send failed: ${String(error)}\n`)
      process.exit(1)
    })
  })
  await consumed
  const elapsedMs = performance.now() - start
  await stream.close()
  await Promise.all([producer.close(), consumer.close(true)])
  const settings: Settings = {
    acks: -1,
    api: 'send per 5 ms tick + consume() stream',
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
  if (task.protocol === 'cooperative') {
    throw new NotMeasurable('@platformatic/kafka has no cooperative assignor for the classic protocol')
  }
  const producer = producerFor(task.bootstrap)
  await producer.metadata({ topics: [task.topic] })
  const protocol = task.protocol === 'consumer' ? { groupProtocol: 'consumer' as const } : {}
  const measured = await measureRebalance(task, {
    startMember: async (onRecord) => {
      const consumer = new Consumer({
        groupId: task.group,
        clientId: 'bench-platformatic',
        bootstrapBrokers: task.bootstrap.split(','),
        ...protocol,
      })
      const stream = await consumer.consume({ topics: [task.topic], mode: 'latest', autocommit: false })
      stream.on('data', (message: { partition: number }) => onRecord(message.partition))
      return {
        stop: async () => {
          await stream.close()
          await consumer.close(true)
        },
      }
    },
    send: (partition, value) => {
      producer.send({ messages: [{ topic: task.topic, partition, value }] }).catch(() => {})
    },
    closeProducer: () => producer.close(),
  })
  const settings: Settings = {
    groupProtocol: task.protocol === 'consumer' ? 'consumer' : 'classic (default assigner)',
  }
  return { ...measured, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

await runAdapter({ client: 'platformatic', version, produce, consume, latency, rebalance })
