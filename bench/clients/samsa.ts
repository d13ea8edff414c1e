/** samsa, this project's client, run from its build (dist/). */

import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ConsumerMessage } from '../../src/consumer/message.ts'
import type { ProducerRecord } from '../../src/producer/types.ts'
import { measureRebalance } from '../lib/pause-tracker.ts'
import { makeValue, nowMs, paceSends, readStamp, stampedValue } from '../lib/payload.ts'
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

// samsa runs from its build (dist/, which bench/run.ts brings up to date first), as an application that
// installed it from npm runs it and as every Node peer runs its published JavaScript. Run from its sources,
// Node would strip the types of each module as it loads: slower start-up and about 15 MB more resident
// memory, which the peak RSS figures would count against the client. The types come from the sources.
const build = new URL('../../dist/', import.meta.url)
if (!existsSync(new URL('index.js', build))) {
  throw new Error(`samsa's build is missing (${fileURLToPath(build)}): run npm run build, or bench/run.ts`)
}
const load = async <T>(path: string): Promise<T> => (await import(new URL(path, build).href)) as T
const { Cluster } = await load<typeof import('../../src/cluster/cluster.ts')>('cluster/cluster.js')
const { Consumer } = await load<typeof import('../../src/consumer/consumer.ts')>('consumer/consumer.js')
const { Kafka } = await load<typeof import('../../src/kafka.ts')>('kafka.js')
const { Producer } = await load<typeof import('../../src/producer/producer.ts')>('producer/producer.js')

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version

/** Records per `sendBatch` call, and how many such calls may be unresolved at once. */
const chunkRecords = 1000
const chunksInFlight = 32

async function produce(task: ProduceTask) {
  const producerSettings = { acks: 'all', lingerMs: 10, batchBytes: task.batchBytes } as const
  const cluster = Cluster.create({ bootstrap: task.bootstrap, clientId: 'bench-samsa' })
  const producer = new Producer(cluster, producerSettings)
  const value = makeValue(task.sizeBytes)
  const chunk: ProducerRecord[] = Array.from({ length: chunkRecords }, () => ({ topic: task.topic, value }))
  // Metadata and the producer id are fetched by the first send; warm up outside the clock, as the other
  // clients connect before theirs starts.
  await cluster.refreshMetadata([task.topic])
  const start = performance.now()
  const inFlight = new Set<Promise<unknown>>()
  for (let sent = 0; sent < task.messages; sent += chunkRecords) {
    const records = task.messages - sent >= chunkRecords ? chunk : chunk.slice(0, task.messages - sent)
    const sending = producer.sendBatch(records)
    inFlight.add(sending)
    void sending.then(() => inFlight.delete(sending))
    if (inFlight.size >= chunksInFlight) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const elapsedMs = performance.now() - start
  await producer.close()
  await cluster.close()
  return {
    elapsedMs,
    messages: task.messages,
    bytes: task.messages * task.sizeBytes,
    p50Ms: null,
    p99Ms: null,
    p999Ms: null,
    settings: {
      ...producerSettings,
      idempotent: producer.options.idempotent,
      maxInFlightRequests: producer.options.maxInFlightRequests,
      api: `sendBatch(${chunkRecords}) × ${chunksInFlight} calls outstanding`,
    } as Settings,
  }
}

async function consume(task: ConsumeTask) {
  const commitOptions: { enableAutoCommit: boolean; autoCommitIntervalMs?: number } =
    task.commit === 'auto'
      ? { enableAutoCommit: true, autoCommitIntervalMs: 5000 }
      : { enableAutoCommit: false }
  const cluster = Cluster.create({ bootstrap: task.bootstrap, clientId: 'bench-samsa' })
  const consumer = new Consumer(cluster, {
    groupId: task.group,
    autoOffsetReset: 'earliest',
    ...commitOptions,
  })
  consumer.subscribe([task.topic])
  let received = 0
  let bytes = 0
  let first = 0
  let firstDelivery = 0
  while (received < task.messages) {
    const records = await consumer.poll({ timeoutMs: 1000 })
    if (records.length > 0 && received === 0) {
      first = performance.now()
      firstDelivery = records.length
    }
    for (const record of records) {
      bytes += record.value?.length ?? 0
      if (task.commit === 'message') {
        await consumer.commit([
          { topic: record.topic, partition: record.partition, offset: record.offset + 1n },
        ])
      }
    }
    // After the batch is processed, commit the positions after it without waiting for the answer, and once
    // synchronously at the end: the Definitive Guide's at-least-once pattern. Commits are serialized and an
    // async commit never moves an offset backwards, so nothing is committed ahead of what was processed.
    if (task.commit === 'batch' && records.length > 0) consumer.commitAsync()
    received += records.length
  }
  if (task.commit === 'batch') await consumer.commit()
  const elapsedMs = consumeElapsedMs(performance.now() - first, received, firstDelivery)
  await consumer.close()
  await cluster.close()
  const settings: Settings = {
    mode: 'subscribe (classic group, cooperative-sticky)',
    api: 'poll',
    commit:
      task.commit === 'batch'
        ? 'batch (commitAsync after each processed poll, commit() at the end)'
        : task.commit,
    ...commitOptions,
  }
  return { elapsedMs, messages: received, bytes, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

async function latency(task: LatencyTask) {
  // As an application gets them from the facade: producer and consumer each with their own connections.
  const kafka = new Kafka({ bootstrap: task.bootstrap, clientId: 'bench-samsa' })
  // lingerMs 0: a tick's records go out together at once, as every peer here sends its tick's call.
  const producer = kafka.producer({ acks: 'all', lingerMs: LATENCY_LINGER_MS })
  const consumer = kafka.consumer({ autoOffsetReset: 'earliest' })
  const partitions = Array.from({ length: task.partitions }, (_, partition) => ({
    topic: task.topic,
    partition,
  }))
  consumer.assign(partitions)
  await Promise.all(partitions.map((tp) => consumer.positionAsync(tp)))
  const template = makeValue(task.sizeBytes)
  const latencies = new LatencyRecorder(task.messages)
  const primer = new Primer(task.partitions)
  const consumed = (async () => {
    let received = 0
    while (received < task.messages) {
      const records: ConsumerMessage[] = await consumer.poll({ timeoutMs: 1000 })
      const now = nowMs()
      for (const record of records) {
        if (!record.value || primer.take(record.partition, record.value)) continue
        latencies.record(now - readStamp(record.value))
        received++
      }
    }
  })()
  // The clock starts once a primer record came back from every partition (see bench/lib/primer.ts).
  for (const { partition } of partitions) {
    void producer.send({ topic: task.topic, partition, value: primer.value(template) })
  }
  await primer.ready()
  const start = performance.now()
  await paceSends(task.ratePerSec, task.messages, (count) => {
    for (let i = 0; i < count; i++) {
      producer.send({ topic: task.topic, value: stampedValue(template) }).catch((error: unknown) => {
        process.stderr.write(`send failed: ${String(error)}\n`)
        process.exit(1)
      })
    }
  })
  await consumed
  const elapsedMs = performance.now() - start
  await producer.close()
  await consumer.close()
  return {
    elapsedMs,
    messages: task.messages,
    bytes: task.messages * task.sizeBytes,
    ...latencies.summary(),
    settings: {
      acks: 'all',
      lingerMs: producer.options.lingerMs,
      mode: 'assign',
      api: 'send + poll',
      clock: 'after a primer record from every partition',
    },
  }
}

const assignorsFor = { eager: ['range'], cooperative: ['cooperative-sticky'] } as const

async function rebalance(task: RebalanceTask) {
  const kafka = new Kafka({ bootstrap: task.bootstrap, clientId: 'bench-samsa' })
  const producer = kafka.producer({ acks: 'all' })
  const groupOptions =
    task.protocol === 'consumer'
      ? { groupProtocol: 'consumer' as const }
      : { groupProtocol: 'classic' as const, assignors: [...assignorsFor[task.protocol]] }
  const measured = await measureRebalance(task, {
    startMember: async (onRecord) => {
      const consumer = kafka.consumer({ groupId: task.group, enableAutoCommit: false, ...groupOptions })
      consumer.subscribe([task.topic])
      let running = true
      const loop = (async () => {
        while (running) {
          for (const record of await consumer.poll({ timeoutMs: 100 })) onRecord(record.partition)
        }
      })()
      return {
        stop: async () => {
          running = false
          await loop
          await consumer.close()
        },
      }
    },
    send: (partition, value) => {
      producer.send({ topic: task.topic, partition, value }).catch(() => {})
    },
    closeProducer: () => producer.close(),
  })
  return {
    ...measured,
    p50Ms: null,
    p99Ms: null,
    p999Ms: null,
    settings: {
      ...groupOptions,
      assignors: String((groupOptions as { assignors?: string[] }).assignors ?? 'broker'),
    },
  }
}

/** One member of a fresh share group reads the backlog, accepting every record implicitly at the next poll. */
async function shareConsume(task: ConsumeTask) {
  const kafka = new Kafka({ bootstrap: task.bootstrap, clientId: 'bench-samsa' })
  const consumer = kafka.shareConsumer({ groupId: task.group })
  consumer.subscribe([task.topic])
  let received = 0
  let bytes = 0
  let first = 0
  let firstDelivery = 0
  while (received < task.messages) {
    const records = await consumer.poll({ timeoutMs: 1000 })
    if (records.length > 0 && received === 0) {
      first = performance.now()
      firstDelivery = records.length
    }
    for (const record of records) bytes += record.value?.length ?? 0
    received += records.length
  }
  // The last poll's records are accepted by commit(), inside the clock like every other acknowledgement.
  await consumer.commit()
  const elapsedMs = consumeElapsedMs(performance.now() - first, received, firstDelivery)
  await consumer.close()
  const settings: Settings = {
    mode: 'share group (KIP-932), one member',
    api: 'poll',
    acknowledgement: 'implicit (accept at the next poll)',
    maxPollRecords: consumer.options.maxPollRecords,
  }
  return { elapsedMs, messages: received, bytes, p50Ms: null, p99Ms: null, p999Ms: null, settings }
}

await runAdapter({ client: 'samsa', version, produce, consume, latency, rebalance, shareConsume })
