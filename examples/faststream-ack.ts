/**
 * FastStream's acknowledgement patterns with samsa's `run()`:
 *
 * 1. `auto_commit=False`: a message is acknowledged after its handler succeeds, and not when it raises; a
 *    restart delivers the failed message again, and everything after it (`ack: 'after-success'`).
 * 2. Manual `msg.ack()` / `msg.nack()`, and outcomes decided by raising `AckMessage`, `NackMessage` or
 *    `RejectMessage` from anywhere in the handler (`ack: 'manual'`).
 *
 * Run against a broker: `node examples/faststream-ack.ts` (KAFKA_BOOTSTRAP, default 127.0.0.1:9092).
 */

import { Kafka } from '../src/index.ts'
import { AckMessage, NackMessage, RejectMessage } from '../src/processing/index.ts'
import { bootstrapAddress, committedOffset, uniqueName } from './example-support.ts'

export interface ExampleConfig {
  bootstrap: string
  topic?: string
  groupId?: string
}

/** What the scenarios saw, for the test (and for a reader running the example). */
export interface FastStreamReport {
  /** Bodies the first consumer handled, in order, before its handler raised at "order-5". */
  firstRun: string[]
  /** Bodies the restarted consumer handled. */
  secondRun: string[]
  /** Committed offset after the first run. */
  committedAfterFailure: bigint | null
  /** Deliveries of the manual-ack scenario, in order (a nacked message appears twice). */
  manualDeliveries: string[]
  rejected: string[]
  committedAfterManual: bigint | null
}

async function seed(kafka: Kafka, topic: string, bodies: string[]): Promise<void> {
  const admin = kafka.admin()
  try {
    await admin.createTopics([{ topic, partitions: 1 }])
  } finally {
    await admin.close()
  }
  const producer = kafka.producer()
  try {
    for (const body of bodies) await producer.send({ topic, value: body })
  } finally {
    await producer.close()
  }
}

/** Resolves once `count` deliveries were seen (or rejects after `timeoutMs`). */
function waitFor(seen: () => number, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const check = () => {
      if (seen() >= count) resolve()
      else if (Date.now() > deadline) reject(new Error(`saw ${seen()} of ${count} deliveries`))
      else setTimeout(check, 20)
    }
    check()
  })
}

export async function main(config: ExampleConfig): Promise<FastStreamReport> {
  const kafka = new Kafka({ bootstrap: config.bootstrap, clientId: 'faststream-example' })
  const topic = config.topic ?? uniqueName('faststream-ack')
  const groupId = config.groupId ?? uniqueName('faststream')
  await seed(
    kafka,
    topic,
    Array.from({ length: 10 }, (_, i) => `order-${i}`),
  )

  // 1. After success; the handler raises at order-5.
  const firstRun: string[] = []
  {
    const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    let stoppedPartition!: () => void
    const partitionStopped = new Promise<void>((resolve) => {
      stoppedPartition = resolve
    })
    const run = await consumer.run({
      topics: [topic],
      ack: 'after-success',
      // One try: the failure stops the partition, as a crashing service would stop processing.
      retry: { attempts: 1 },
      onError: () => {},
      onPartitionStopped: () => stoppedPartition(),
      eachMessage: async ({ message }) => {
        const body = String(message.value)
        firstRun.push(body)
        if (body === 'order-5') throw new Error('payment service unavailable')
      },
    })
    await partitionStopped
    await run.stop()
  }
  const committedAfterFailure = await committedOffset(kafka, groupId, topic)

  // The restart: the same group picks up at the failed message.
  const secondRun: string[] = []
  {
    const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    const run = await consumer.run({
      topics: [topic],
      eachMessage: async ({ message }) => {
        secondRun.push(String(message.value))
      },
    })
    await waitFor(() => secondRun.length, 5)
    await run.stop()
  }

  // 2. Manual acknowledgement and outcomes by exception, in a fresh group over the same messages.
  const manualGroup = `${groupId}-manual`
  const manualDeliveries: string[] = []
  const rejected: string[] = []
  const nackedOnce = new Set<string>()
  {
    const consumer = kafka.consumer({
      groupId: manualGroup,
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
    })
    const run = await consumer.run({
      topics: [topic],
      ack: 'manual',
      onRejected: (message) => rejected.push(String(message.value)),
      eachMessage: async ({ message }) => {
        const body = String(message.value)
        manualDeliveries.push(body)
        switch (body) {
          case 'order-2': // nack once, after a short delay it comes back; then ack
            if (!nackedOnce.has(body)) {
              nackedOnce.add(body)
              message.nack({ delayMs: 100 })
            } else message.ack()
            return
          case 'order-4': // decided deep in the call stack: acknowledge and stop processing it
            throw new AckMessage()
          case 'order-6': // not now: deliver again
            if (!nackedOnce.has(body)) {
              nackedOnce.add(body)
              throw new NackMessage()
            }
            message.ack()
            return
          case 'order-8': // never processable: give up on it and move on
            throw new RejectMessage('unparseable order')
          default:
            message.ack()
        }
      },
    })
    await waitFor(() => manualDeliveries.length, 12)
    await run.stop()
  }
  const committedAfterManual = await committedOffset(kafka, manualGroup, topic)

  return { firstRun, secondRun, committedAfterFailure, manualDeliveries, rejected, committedAfterManual }
}

if (import.meta.main) {
  const report = await main({ bootstrap: bootstrapAddress() })
  console.log(JSON.stringify(report, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2))
}
