/**
 * Retries and dead letters on a share group (KIP-932), with the broker doing the bookkeeping:
 *
 * - retry by release: a handler that fails throws (or `NackMessage`), the record is released and the broker
 *   hands it out again, to any worker, with `message.deliveryCount` one higher;
 * - a cut-off on the delivery count: at the third delivery the worker stops retrying, writes the record to a
 *   dead-letter topic (with why and how often it was tried) and rejects it (`RejectMessage`), so the broker
 *   archives it and never delivers it again. Without a cut-off, the group's `share.delivery.count.limit`
 *   (5 by default) archives it silently.
 *
 * The payments service below fails twice for `payment-3` (it then succeeds) and always for `payment-7`.
 *
 * Run against a broker: `node examples/share-retry-dead-letter.ts` (KAFKA_BOOTSTRAP, default 127.0.0.1:9092).
 */

import { Kafka, RejectMessage } from '../src/index.ts'
import { bootstrapAddress, uniqueName } from './example-support.ts'

const MAX_DELIVERIES = 3

export interface RetryReport {
  /** Every delivery the handler saw, as `value#deliveryCount`. */
  deliveries: string[]
  /** Payments that went through. */
  paid: string[]
  /** The dead-letter topic's records: value and the headers the worker added. */
  deadLetters: Array<{ value: string; reason: string; deliveries: string }>
}

/** A flaky downstream service: fails the first two tries of payment-3, every try of payment-7. */
function makeChargeService(): (payment: string) => Promise<void> {
  const tries = new Map<string, number>()
  return async (payment) => {
    const attempt = (tries.get(payment) ?? 0) + 1
    tries.set(payment, attempt)
    if ((payment === 'payment-3' && attempt <= 2) || payment === 'payment-7') {
      throw new Error(`card processor timed out (${payment}, try ${attempt})`)
    }
  }
}

export async function main(config: { bootstrap: string }): Promise<RetryReport> {
  const kafka = new Kafka({ bootstrap: config.bootstrap, clientId: 'share-retry' })
  const topic = uniqueName('payments')
  const deadLetterTopic = `${topic}.dlq`
  const groupId = uniqueName('payment-workers')
  const admin = kafka.admin()
  try {
    await admin.createTopics([
      { topic, partitions: 1 },
      { topic: deadLetterTopic, partitions: 1 },
    ])
    await admin.alterGroupConfigs(groupId, { set: { 'share.auto.offset.reset': 'earliest' } })
  } finally {
    await admin.close()
  }
  const producer = kafka.producer()
  for (let i = 0; i < 10; i++) await producer.send({ topic, value: `payment-${i}` })

  const charge = makeChargeService()
  const deliveries: string[] = []
  const paid: string[] = []
  const worker = kafka.shareConsumer({ groupId })
  worker.subscribe([topic])
  const run = await worker.run({
    onError: () => {}, // the failures are the point of this example
    eachMessage: async ({ message }) => {
      const payment = String(message.value)
      deliveries.push(`${payment}#${message.deliveryCount}`)
      try {
        await charge(payment)
        paid.push(payment)
      } catch (error) {
        if (message.deliveryCount < MAX_DELIVERIES) throw error // released: the broker delivers it again
        await producer.send({
          topic: deadLetterTopic,
          value: message.value,
          headers: { reason: (error as Error).message, deliveries: String(message.deliveryCount) },
        })
        throw new RejectMessage(error) // archived: never delivered again
      }
    },
  })
  const deadline = Date.now() + 60_000
  while (paid.length + deliveries.filter((d) => d === `payment-7#${MAX_DELIVERIES}`).length < 10) {
    if (Date.now() > deadline) throw new Error('the payments did not settle')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await run.stop()
  await producer.close()

  const deadLetters: RetryReport['deadLetters'] = []
  const reader = kafka.consumer()
  try {
    reader.assign([{ topic: deadLetterTopic, partition: 0 }])
    reader.seekToBeginning([{ topic: deadLetterTopic, partition: 0 }])
    const until = Date.now() + 10_000
    while (deadLetters.length === 0 && Date.now() < until) {
      for (const record of await reader.poll({ timeoutMs: 1000 })) {
        const header = (key: string) => String(record.headers.find((h) => h.key === key)?.value)
        deadLetters.push({
          value: String(record.value),
          reason: header('reason'),
          deliveries: header('deliveries'),
        })
      }
    }
  } finally {
    await reader.close()
  }
  return { deliveries, paid, deadLetters }
}

if (import.meta.main) {
  console.log(JSON.stringify(await main({ bootstrap: bootstrapAddress() }), null, 2))
}
