/**
 * @kafkats/client (pure TypeScript; classic groups and share groups), loaded from bench/.peers where
 * bench/setup.sh installs it. Its producer batches on its own (lingerMs, maxBatchBytes), so it is driven
 * like samsa's; its consumer commits on an interval or at stop(), with no commit call of its own.
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
  NotMeasurable,
  type ProduceTask,
  type RebalanceTask,
  runAdapter,
  type Settings,
} from '../lib/task.ts'
import { sendInChunks } from '../lib/windowed.ts'

// The package is installed outside the project's node_modules; this is the slice of its API used here.
interface Message {
  value: Buffer | null
}
interface Context {
  partition: number
}
interface KtProducer {
  send(topic: string, messages: { value: Buffer; partition?: number }[]): Promise<unknown>
  disconnect(): Promise<void>
}
interface KtConsumer {
  runBatch(
    topic: string,
    handler: (batch: Message[], ctx: Context) => Promise<void>,
    options: { autoCommit?: boolean; commitOffsets?: boolean; autoCommitIntervalMs?: number },
  ): Promise<void>
  stop(): void
}
interface KtShareMessage {
  value: Buffer | null
}
interface KtShareConsumer {
  runEach(
    topic: string,
    handler: (message: KtShareMessage) => Promise<void>,
    options?: { concurrency?: number },
  ): Promise<void>
  stop(): Promise<void>
}
interface KtClient {
  shareConsumer(config: { groupId: string }): KtShareConsumer
  connect(): Promise<void>
  disconnect(): Promise<void>
  producer(config: {
    lingerMs?: number
    maxBatchBytes?: number
    acks?: 'all' | number
    idempotent?: boolean
  }): KtProducer
  consumer(config: {
    groupId: string
    autoOffsetReset?: 'earliest' | 'latest'
    partitionAssignmentStrategy?: 'cooperative-sticky' | 'sticky' | 'range'
  }): KtConsumer
}

const requireFromPeers = createRequire(peersDir)
const library = requireFromPeers('@kafkats/client') as {
  KafkaClient: new (config: { brokers: string[]; clientId: string }) => KtClient
}
// The package's exports map hides package.json, so it is read by path.
const version = (
  requireFromPeers(`${peersDir}node_modules/@kafkats/client/package.json`) as { version: string }
).version

const chunkRecords = 1000
const chunksInFlight = 32

async function clientFor(bootstrap: string): Promise<KtClient> {
  const client = new library.KafkaClient({ brokers: bootstrap.split(','), clientId: 'bench-kafkats' })
  await client.connect()
  return client
}

async function produce(task: ProduceTask) {
  const client = await clientFor(task.bootstrap)
  const producerSettings = { lingerMs: 10, maxBatchBytes: task.batchBytes, acks: 'all' as const }
  const producer = client.producer(producerSettings)
  const value = makeValue(task.sizeBytes)
  const messages = Array.from({ length: chunkRecords }, () => ({ value }))
  // Metadata is fetched by the first send: one record, outside the clock.
  await producer.send(task.topic, [{ value }])
  const start = performance.now()
  await sendInChunks(task.messages, chunkRecords, chunksInFlight, (count) =>
    producer.send(task.topic, count === chunkRecords ? messages : messages.slice(0, count)),
  )
  const elapsedMs = performance.now() - start
  await producer.disconnect()
  await client.disconnect()
  const settings: Settings = {
    ...producerSettings,
    idempotent: 'default (false)',
    maxInFlight: 'default (5)',
    api: `send(${chunkRecords} messages) × ${chunksInFlight} calls outstanding`,
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
  if (task.commit === 'batch' || task.commit === 'message') {
    throw new NotMeasurable(
      '@kafkats/client has no commit call: offsets commit on an interval (autoCommit) or at stop()',
    )
  }
  const client = await clientFor(task.bootstrap)
  const consumer = client.consumer({ groupId: task.group, autoOffsetReset: 'earliest' })
  const options: { autoCommit: boolean; commitOffsets: boolean; autoCommitIntervalMs?: number } =
    task.commit === 'auto'
      ? { autoCommit: true, commitOffsets: true, autoCommitIntervalMs: 5000 }
      : { autoCommit: false, commitOffsets: false }
  let received = 0
  let bytes = 0
  let first = 0
  let firstDelivery = 0
  let last = 0
  const { promise: done, resolve } = deferred()
  const running = consumer.runBatch(
    task.topic,
    async (batch) => {
      if (batch.length > 0 && received === 0) {
        first = performance.now()
        firstDelivery = batch.length
      }
      for (const message of batch) bytes += message.value?.length ?? 0
      received += batch.length
      if (received >= task.messages && last === 0) {
        last = performance.now()
        resolve()
      }
    },
    options,
  )
  await Promise.race([done, running])
  consumer.stop()
  await running
  await client.disconnect()
  const settings: Settings = {
    mode: 'subscribe (classic group, cooperative-sticky)',
    api: 'runBatch',
    ...options,
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
  const client = await clientFor(task.bootstrap)
  const producer = client.producer({ acks: 'all', lingerMs: LATENCY_LINGER_MS })
  const consumer = client.consumer({ groupId: task.group, autoOffsetReset: 'earliest' })
  const latencies = new LatencyRecorder(task.messages)
  const primer = new Primer(task.partitions)
  const { promise: done, resolve } = deferred()
  let received = 0
  const running = consumer.runBatch(
    task.topic,
    async (batch, ctx) => {
      const now = nowMs()
      for (const message of batch) {
        if (!message.value || primer.take(ctx.partition, message.value)) continue
        latencies.record(now - readStamp(message.value))
        received++
      }
      if (received >= task.messages) resolve()
    },
    { autoCommit: false, commitOffsets: false },
  )
  const template = makeValue(task.sizeBytes)
  await producer.send(
    task.topic,
    Array.from({ length: task.partitions }, (_, partition) => ({ partition, value: primer.value(template) })),
  )
  await Promise.race([primer.ready(), running])
  const start = performance.now()
  await paceSends(task.ratePerSec, task.messages, (count) => {
    const messages = Array.from({ length: count }, () => ({ value: stampedValue(template) }))
    producer.send(task.topic, messages).catch((error: unknown) => {
      process.stderr.write(`send failed: ${String(error)}\n`)
      process.exit(1)
    })
  })
  await Promise.race([done, running])
  const elapsedMs = performance.now() - start
  consumer.stop()
  await running
  await producer.disconnect()
  await client.disconnect()
  const settings: Settings = {
    acks: 'all',
    lingerMs: LATENCY_LINGER_MS,
    api: 'send per 5 ms tick + runBatch',
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
  if (task.protocol === 'consumer') {
    throw new NotMeasurable('@kafkats/client does not implement the KIP-848 consumer protocol')
  }
  const client = await clientFor(task.bootstrap)
  const producer = client.producer({ acks: 'all' })
  const partitionAssignmentStrategy = task.protocol === 'cooperative' ? 'cooperative-sticky' : 'range'
  const measured = await measureRebalance(task, {
    startMember: async (onRecord) => {
      // Each member on a client of its own, as two processes of an application would be.
      const memberClient = await clientFor(task.bootstrap)
      const consumer = memberClient.consumer({ groupId: task.group, partitionAssignmentStrategy })
      const running = consumer
        .runBatch(
          task.topic,
          async (batch, ctx) => {
            for (let i = 0; i < batch.length; i++) onRecord(ctx.partition)
          },
          { autoCommit: false, commitOffsets: false },
        )
        .catch(() => {})
      return {
        stop: async () => {
          consumer.stop()
          await running
          await memberClient.disconnect()
        },
      }
    },
    send: (partition, value) => {
      producer.send(task.topic, [{ partition, value }]).catch(() => {})
    },
    closeProducer: async () => {
      await producer.disconnect()
      await client.disconnect()
    },
  })
  const settings: Settings = { partitionAssignmentStrategy }
  return { ...measured, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

/**
 * One member of a fresh share group reads the backlog with runEach, which accepts each record when its
 * handler returns (the library's own way; it has no poll loop for share groups).
 */
async function shareConsume(task: ConsumeTask) {
  const client = await clientFor(task.bootstrap)
  const consumer = client.shareConsumer({ groupId: task.group })
  let received = 0
  let bytes = 0
  let first = 0
  let last = 0
  const done = deferred()
  let failure: unknown
  const running = consumer.runEach(task.topic, async (message) => {
    const now = performance.now()
    if (received === 0) first = now
    received++
    bytes += message.value?.length ?? 0
    last = now
    if (received === task.messages) done.resolve()
  })
  running.catch((error: unknown) => {
    failure = error
    done.resolve()
  })
  await done.promise
  if (failure !== undefined) throw failure
  await consumer.stop()
  await running.catch(() => {})
  await client.disconnect()
  // runEach hands records over one at a time, so the first delivery is one record.
  const elapsedMs = consumeElapsedMs(last - first, received, 1)
  const settings: Settings = { mode: 'share group (KIP-932), one member', api: 'runEach (accept on return)' }
  return { elapsedMs, messages: received, bytes, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

await runAdapter({ client: 'kafkats', version, produce, consume, latency, rebalance, shareConsume })
