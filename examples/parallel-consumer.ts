/**
 * Confluent's Parallel Consumer and Spring Kafka's error handling, with samsa's `run()`:
 *
 * 1. Many records of one partition at once, in order per key (`ordering: 'key'`): a slow customer holds only
 *    its own orders, and the committed offset still only covers what is done without a gap (what is done
 *    beyond it rides in the commit's metadata and is not done again after a restart).
 * 2. A transient failure (the payment gateway times out) is retried with exponential backoff and jitter; only
 *    that customer's orders wait.
 * 3. An order that can never succeed (malformed) is not retried (`retriable`) and goes to a dead-letter topic
 *    with headers naming where it came from and why (Spring's `DeadLetterPublishingRecoverer`); its partition
 *    goes on.
 *
 * Run against a broker: `node examples/parallel-consumer.ts` (KAFKA_BOOTSTRAP, default 127.0.0.1:9092).
 */

import type { ConsumerMessage } from '../src/consumer/message.ts'
import { Kafka } from '../src/index.ts'
import { deadLetterHeaders } from '../src/processing/index.ts'
import { bootstrapAddress, uniqueName } from './example-support.ts'

export interface ParallelReport {
  /** Order ids billed, per customer, in the order they were billed. */
  billedByCustomer: Map<string, number[]>
  /** Tries of the orders that failed transiently, by order id. */
  tries: Map<number, number>
  /** The dead letters: order id and the error class recorded in their headers. */
  deadLetters: { order: number; errorClass: string; originalOffset: string }[]
  /** The most orders being billed at once. */
  peakConcurrency: number
  committed: bigint | null
  /** Orders billed by a second run of the same group: none, everything was committed. */
  billedAgain: number
}

const ORDERS = 60
const CUSTOMERS = 6

class MalformedOrderError extends Error {}

export async function parallelConsumer(bootstrap: string): Promise<ParallelReport> {
  const kafka = new Kafka({ bootstrap, clientId: 'parallel-consumer', logger: false })
  const topic = uniqueName('orders')
  const deadLetterTopic = `${topic}.DLT`
  const groupId = uniqueName('billing')
  const admin = kafka.admin()
  await admin.createTopics([
    { topic, partitions: 1 },
    { topic: deadLetterTopic, partitions: 1 },
  ])
  await admin.close()
  const producer = kafka.producer()
  await producer.sendBatch(
    Array.from({ length: ORDERS }, (_, id) => ({
      topic,
      key: `customer-${id % CUSTOMERS}`,
      // Order 13 is malformed: no amount.
      value: JSON.stringify(id === 13 ? { id } : { id, amountCents: 100 + id }),
    })),
  )
  await producer.close()

  const billedByCustomer = new Map<string, number[]>()
  const tries = new Map<number, number>()
  let inFlight = 0
  let peakConcurrency = 0
  const bill = async (message: ConsumerMessage): Promise<void> => {
    const order = JSON.parse(String(message.value)) as { id: number; amountCents?: number }
    if (order.amountCents === undefined) throw new MalformedOrderError(`order ${order.id} has no amount`)
    inFlight++
    peakConcurrency = Math.max(peakConcurrency, inFlight)
    try {
      await new Promise((resolve) => setTimeout(resolve, 20))
      // Every tenth order meets a gateway timeout on its first try.
      if (order.id % 10 === 0) {
        const n = (tries.get(order.id) ?? 0) + 1
        tries.set(order.id, n)
        if (n === 1) throw new Error(`gateway timeout billing order ${order.id}`)
      }
    } finally {
      inFlight--
    }
    const customer = String(message.key)
    billedByCustomer.set(customer, [...(billedByCustomer.get(customer) ?? []), order.id])
  }

  const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'key',
    maxInFlightPerPartition: 32,
    commit: { everyMs: 200 },
    retry: {
      attempts: 5,
      initialBackoffMs: 50,
      maxBackoffMs: 1000,
      jitter: 0.2,
      retriable: (error) => !(error instanceof MalformedOrderError),
      onExhausted: 'dead-letter',
    },
    deadLetter: { topic: deadLetterTopic },
    eachMessage: ({ message }) => bill(message),
  })
  const billed = () => [...billedByCustomer.values()].reduce((n, ids) => n + ids.length, 0)
  await until(() => billed() === ORDERS - 1)
  await handle.stop()

  const reader = kafka.consumer({ autoOffsetReset: 'earliest' })
  reader.assign([{ topic: deadLetterTopic, partition: 0 }])
  const letters: ConsumerMessage[] = []
  await until(async () => {
    letters.push(...(await reader.poll({ timeoutMs: 200 })))
    return letters.length > 0
  })
  await reader.close()
  const header = (m: ConsumerMessage, key: string) =>
    m.headers.find((h) => h.key === key)?.value?.toString() ?? ''

  // A second run of the group finds nothing left to do.
  let billedAgain = 0
  const again = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const [committed] = await again.committed([{ topic, partition: 0 }])
  const second = await again.run({
    topics: [topic],
    ordering: 'key',
    eachMessage: () => {
      billedAgain++
    },
  })
  await new Promise((resolve) => setTimeout(resolve, 1000))
  await second.stop()

  return {
    billedByCustomer,
    tries,
    deadLetters: letters.map((m) => ({
      order: (JSON.parse(String(m.value)) as { id: number }).id,
      errorClass: header(m, deadLetterHeaders.errorClass),
      originalOffset: header(m, deadLetterHeaders.originalOffset),
    })),
    peakConcurrency,
    committed: committed?.offset ?? null,
    billedAgain,
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the example did not finish in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

if (import.meta.main) {
  const report = await parallelConsumer(bootstrapAddress())
  for (const [customer, ids] of report.billedByCustomer) console.log(`${customer}: ${ids.join(' ')}`)
  console.log(`at most ${report.peakConcurrency} orders billed at once`)
  console.log(`retried: ${[...report.tries].map(([id, n]) => `${id} (${n} tries)`).join(', ')}`)
  console.log(
    `dead letters: ${report.deadLetters.map((d) => `order ${d.order} (${d.errorClass})`).join(', ')}`,
  )
  console.log(`committed offset ${report.committed}; billed again by a restart: ${report.billedAgain}`)
}
