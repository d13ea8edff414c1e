/**
 * kafka-ts (pure TypeScript, classic groups and KIP-848), loaded from bench/.peers where bench/setup.sh
 * installs it. Its producer queues `send()` calls per broker and sends up to `maxBatchSize` messages of
 * queued calls in one request, one request at a time; its consumer commits after every batch it hands to
 * `onBatch`, always.
 */

import { createRequire } from 'node:module'
import { deferred } from '../lib/deferred.ts'
import { measureRebalance } from '../lib/pause-tracker.ts'
import { makeValue, nowMs, paceSends } from '../lib/payload.ts'
import { peersDir } from '../lib/peers.ts'
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

// The package is installed outside the project's node_modules; this is the slice of its API used here.
interface Message {
  topic: string
  partition: number
  offset: bigint
  /** kafka-ts hands values out as UTF-8-decoded strings. */
  value: string | null
}
interface KtsProducer {
  send(messages: { topic: string; partition?: number; value: Buffer }[]): Promise<void>
  close(): Promise<void>
}
interface KtsConsumer {
  close(force?: boolean): Promise<void>
}
interface KtsClient {
  createProducer(options: { maxBatchSize?: number }): KtsProducer
  startConsumer(options: {
    topics: string[]
    groupId?: string
    groupProtocol?: 'classic' | 'consumer'
    fromBeginning?: boolean
    onBatch: (messages: Message[]) => unknown
  }): Promise<KtsConsumer>
}

const requireFromPeers = createRequire(peersDir)
const library = requireFromPeers('kafka-ts') as {
  createKafkaClient(options: {
    clientId: string
    bootstrapServers: { host: string; port: number }[]
  }): KtsClient
  setLogger(logger: Record<'debug' | 'info' | 'warn' | 'error', () => void>): void
}
const version = (requireFromPeers('kafka-ts/package.json') as { version: string }).version

// Its default JSON logger writes every connection and rebalance to stdout.
const silent = () => {}

/**
 * kafka-ts decodes every value as UTF-8 text, which would mangle the binary stamp of the other adapters, so
 * its latency records carry the send time as ASCII digits in their first 20 bytes (the rest is the template).
 */
const STAMP_CHARS = 20
function textStamped(template: Buffer, stamp: number): Buffer {
  const value = Buffer.from(template)
  value.write(stamp.toFixed(3).padStart(STAMP_CHARS, ' ').slice(-STAMP_CHARS), 0, 'latin1')
  return value
}
const readTextStamp = (value: string) => Number(value.slice(0, STAMP_CHARS))
library.setLogger({ debug: silent, info: silent, warn: silent, error: silent })

function clientFor(bootstrap: string): KtsClient {
  return library.createKafkaClient({
    clientId: 'bench-kafka-ts',
    bootstrapServers: bootstrap.split(',').map((address) => {
      const at = address.lastIndexOf(':')
      return { host: address.slice(0, at), port: Number(address.slice(at + 1)) }
    }),
  })
}

async function produce(task: ProduceTask) {
  // Requests as big as samsa's: a call carries batchBytes per partition and maxBatchSize lets it go whole.
  const { recordsPerCall, callsInFlight } = callShape(task)
  const producer = clientFor(task.bootstrap).createProducer({ maxBatchSize: recordsPerCall })
  const value = makeValue(task.sizeBytes)
  const messages = Array.from({ length: recordsPerCall }, () => ({ topic: task.topic, value }))
  // Metadata and the producer id are fetched by the first send: one record, outside the clock.
  await producer.send([{ topic: task.topic, value }])
  const start = performance.now()
  await sendInChunks(task.messages, recordsPerCall, callsInFlight, (count) =>
    producer.send(count === recordsPerCall ? messages : messages.slice(0, count)),
  )
  const elapsedMs = performance.now() - start
  await producer.close()
  const settings: Settings = {
    acks: '-1 (fixed)',
    idempotent: 'yes (always)',
    maxBatchSize: recordsPerCall,
    api: `send(${recordsPerCall} messages, ${Math.round((recordsPerCall * task.sizeBytes) / 1024)} KiB) × ${callsInFlight} queued`,
    inFlight: '1 request per broker (the library sends queued calls one request at a time)',
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
  if (task.commit === 'auto') {
    throw new NotMeasurable('kafka-ts has no interval auto-commit: it commits after every batch')
  }
  if (task.commit === 'message') {
    throw new NotMeasurable('kafka-ts commits per batch only (no commit call for one message)')
  }
  let received = 0
  let bytes = 0
  let first = 0
  let firstDelivery = 0
  let last = 0
  const { promise: done, resolve } = deferred()
  const consumer = await clientFor(task.bootstrap).startConsumer({
    topics: [task.topic],
    groupId: task.group,
    fromBeginning: true,
    onBatch: (messages) => {
      if (messages.length > 0 && received === 0) {
        first = performance.now()
        firstDelivery = messages.length
      }
      for (const message of messages) bytes += message.value?.length ?? 0
      received += messages.length
      if (received >= task.messages && last === 0) {
        last = performance.now()
        resolve()
      }
    },
  })
  await done
  await consumer.close(true)
  const settings: Settings = {
    mode: 'subscribe (classic group, RoundRobinAssigner)',
    api: 'startConsumer onBatch',
    commit:
      task.commit === 'none'
        ? 'after every batch (always; kafka-ts cannot turn commits off in a group)'
        : 'after every batch (its only mode)',
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
  // Producer and consumer on clients of their own, as two parts of an application would have them.
  const client = clientFor(task.bootstrap)
  const producer = clientFor(task.bootstrap).createProducer({})
  const latencies = new LatencyRecorder(task.messages)
  const primer = new Primer(task.partitions)
  const { promise: done, resolve } = deferred()
  let received = 0
  const consumer = await client.startConsumer({
    topics: [task.topic],
    groupId: task.group,
    fromBeginning: true,
    onBatch: (messages) => {
      const now = nowMs()
      for (const message of messages) {
        if (!message.value) continue
        const stamp = readTextStamp(message.value)
        if (primer.takeStamp(message.partition, stamp)) continue
        latencies.record(now - stamp)
        received++
      }
      if (received >= task.messages) resolve()
    },
  })
  const template = makeValue(task.sizeBytes)
  await producer.send(
    Array.from({ length: task.partitions }, (_, partition) => ({
      topic: task.topic,
      partition,
      value: textStamped(template, -1),
    })),
  )
  await primer.ready()
  const start = performance.now()
  await paceSends(task.ratePerSec, task.messages, (count) => {
    const messages = Array.from({ length: count }, () => ({
      topic: task.topic,
      value: textStamped(template, nowMs()),
    }))
    producer.send(messages).catch((error: unknown) => {
      process.stderr.write(`send failed: ${String(error)}\n`)
      process.exit(1)
    })
  })
  await done
  const elapsedMs = performance.now() - start
  await Promise.all([producer.close(), consumer.close(true)])
  const settings: Settings = {
    acks: '-1 (fixed)',
    api: 'send per 5 ms tick + onBatch (commits after every batch)',
    stamp: 'ASCII (kafka-ts hands values out as UTF-8 strings)',
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
    throw new NotMeasurable('kafka-ts has no cooperative assignor for the classic protocol')
  }
  const client = clientFor(task.bootstrap)
  const producer = client.createProducer({})
  const groupProtocol = task.protocol === 'consumer' ? 'consumer' : 'classic'
  const measured = await measureRebalance(task, {
    startMember: async (onRecord) => {
      const consumer = await client.startConsumer({
        topics: [task.topic],
        groupId: task.group,
        groupProtocol,
        onBatch: (messages) => {
          for (const message of messages) onRecord(message.partition)
        },
      })
      return { stop: () => consumer.close(true) }
    },
    send: (partition, value) => {
      producer.send([{ topic: task.topic, partition, value }]).catch(() => {})
    },
    closeProducer: () => producer.close(),
  })
  const settings: Settings = {
    groupProtocol,
    assignor: groupProtocol === 'classic' ? 'RoundRobinAssigner (eager)' : 'broker',
  }
  return { ...measured, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

await runAdapter({ client: 'kafka-ts', version, produce, consume, latency, rebalance })
