/**
 * Karafka's manual offset management with samsa's `run()`:
 *
 * 1. Automatic marking off (`ack: 'manual'`), a buffer flushed to a store every FLUSH_SIZE messages, marking
 *    the last flushed message; a shutdown hook (Karafka's `before_stop`) flushes the rest and marks its last.
 * 2. Automatic marking on, plus a manual mark every 10 messages inside a batch: if the batch fails half-way,
 *    the group restarts after the last manual mark instead of at the start of the batch.
 *
 * Run against a broker: `node examples/karafka-manual-marking.ts` (KAFKA_BOOTSTRAP, default 127.0.0.1:9092).
 */

import type { ConsumerMessage } from '../src/index.ts'
import { Kafka } from '../src/index.ts'
import { bootstrapAddress, committedOffset, uniqueName } from './example-support.ts'

export interface ExampleConfig {
  bootstrap: string
  topic?: string
  groupId?: string
}

export interface KarafkaReport {
  /** What reached the "database", in flush order. */
  stored: string[]
  /** Sizes of the flushes: full ones while consuming, the remainder from the shutdown hook. */
  flushes: number[]
  committedAfterBuffering: bigint | null
  /** Committed offset after a batch marked every 10th message and then failed at event-15. */
  committedAfterFailedBatch: bigint | null
}

const FLUSH_SIZE = 10
const EVENTS = 25

async function seed(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin()
  try {
    await admin.createTopics([{ topic, partitions: 1 }])
  } finally {
    await admin.close()
  }
  const producer = kafka.producer({ lingerMs: 50 })
  try {
    // One burst, so the consumer sees them in few batches.
    await Promise.all(Array.from({ length: EVENTS }, (_, i) => producer.send({ topic, value: `event-${i}` })))
  } finally {
    await producer.close()
  }
}

function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve()
      else if (Date.now() > deadline) reject(new Error('timed out waiting for the consumer'))
      else setTimeout(check, 20)
    }
    check()
  })
}

export async function main(config: ExampleConfig): Promise<KarafkaReport> {
  const kafka = new Kafka({ bootstrap: config.bootstrap, clientId: 'karafka-example' })
  const topic = config.topic ?? uniqueName('karafka-events')
  const groupId = config.groupId ?? uniqueName('karafka')
  await seed(kafka, topic)

  // 1. Buffer, flush in FLUSH_SIZE chunks, mark the last flushed message; flush the rest before stopping.
  const stored: string[] = []
  const flushes: number[] = []
  const buffer: ConsumerMessage[] = []
  let received = 0
  const importToStore = (messages: ConsumerMessage[]) => {
    stored.push(...messages.map((m) => String(m.value)))
    flushes.push(messages.length)
  }
  {
    const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    const run = await consumer.run({
      topics: [topic],
      ack: 'manual',
      eachBatch: async ({ batch, markAsConsumed }) => {
        buffer.push(...batch.messages)
        received += batch.messages.length
        while (buffer.length >= FLUSH_SIZE) {
          const data = buffer.splice(0, FLUSH_SIZE)
          importToStore(data)
          markAsConsumed(data.at(-1) as ConsumerMessage)
        }
      },
      onShutdown: async ({ markAsConsumed }) => {
        if (buffer.length === 0) return
        const data = buffer.splice(0)
        importToStore(data)
        markAsConsumed(data.at(-1) as ConsumerMessage)
      },
    })
    await until(() => received >= EVENTS)
    await run.stop()
  }
  const committedAfterBuffering = await committedOffset(kafka, groupId, topic)

  // 2. Automatic marking plus a manual mark every 10 messages; the batch fails at event-15.
  const mixedGroup = `${groupId}-mixed`
  {
    const consumer = kafka.consumer({
      groupId: mixedGroup,
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      // Everything in one batch, so the failure is half-way through it.
      fetchMinBytes: 1,
    })
    let failed!: () => void
    const partitionStopped = new Promise<void>((resolve) => {
      failed = resolve
    })
    const run = await consumer.run({
      topics: [topic],
      ack: 'after-success',
      retry: { attempts: 1 },
      onError: () => {},
      onPartitionStopped: () => failed(),
      eachBatch: async ({ batch, markAsConsumed }) => {
        for (const message of batch.messages) {
          if (String(message.value) === 'event-15') throw new Error('counter store unavailable')
          // Some business logic here; progress is saved every 10 messages.
          if (message.offset % 10n === 0n) markAsConsumed(message)
        }
      },
    })
    await partitionStopped
    await run.stop()
  }
  const committedAfterFailedBatch = await committedOffset(kafka, mixedGroup, topic)

  return { stored, flushes, committedAfterBuffering, committedAfterFailedBatch }
}

if (import.meta.main) {
  const report = await main({ bootstrap: bootstrapAddress() })
  console.log(JSON.stringify(report, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2))
}
