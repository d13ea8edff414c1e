/**
 * `npm run demo`: samsa's headline in two minutes — offsets that do exactly what you chose.
 *
 * 1. Starts the project's own Kafka broker (or uses KAFKA_BOOTSTRAP), creates a 6-partition topic and
 *    produces 20,000 keyed "orders".
 * 2. A billing consumer in a group processes orders at-least-once: it commits after every 1,000 processed
 *    records, then "crashes" in the middle of a batch (it closes without committing).
 * 3. A restarted consumer resumes exactly at the committed offsets and finishes the backlog.
 * 4. The demo proves nothing was lost: every order was processed, and the only repeats are the records
 *    processed after the last commit before the crash.
 *
 * Run with `--keep-broker` to leave a broker the demo started running afterwards.
 */

import { startBroker, stopBroker } from '../src/cli/broker/index.ts'
import type { Consumer, ConsumerMessage } from '../src/index.ts'
import { Kafka } from '../src/index.ts'

const ORDERS = 20_000
const COMMIT_EVERY = 1_000
const CRASH_AFTER = 12_500

export interface DemoResult {
  produced: number
  processedBeforeCrash: number
  committedBeforeCrash: bigint
  processedAfterRestart: number
  distinctProcessed: number
  reprocessed: number
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

/** Processes records one by one and commits after every `COMMIT_EVERY`, stopping after `limit` records. */
async function processOrders(
  consumer: Consumer,
  seen: Map<string, number>,
  limit: number,
  commitAtEnd: boolean,
): Promise<number> {
  let processed = 0
  let sinceCommit = 0
  for await (const message of consumer) {
    record(seen, message)
    processed++
    sinceCommit++
    if (sinceCommit === COMMIT_EVERY) {
      // commit() with no arguments commits everything handed to the application so far: the next
      // offset to read in every partition, never an offset ahead of what was processed.
      await consumer.commit()
      sinceCommit = 0
    }
    if (processed === limit) break
  }
  if (commitAtEnd) await consumer.commit()
  return processed
}

function record(seen: Map<string, number>, message: ConsumerMessage): void {
  const key = message.key!.toString()
  seen.set(key, (seen.get(key) ?? 0) + 1)
}

export async function runDemo(bootstrap: string): Promise<DemoResult> {
  const kafka = new Kafka({ bootstrap, clientId: 'samsa-demo' })
  const admin = kafka.admin()
  const topic = `demo-orders-${Date.now()}`
  const groupId = `demo-billing-${Date.now()}`
  try {
    await admin.createTopics([{ topic, partitions: 6 }])
    log(`created topic ${topic} with 6 partitions`)

    const producer = kafka.producer({ acks: 'all' })
    const started = performance.now()
    const orders = Array.from({ length: ORDERS }, (_, i) => ({
      topic,
      key: `order-${i}`,
      value: JSON.stringify({ id: i, amountCents: (i * 7919) % 10_000 }),
    }))
    await producer.sendBatch(orders)
    await producer.close()
    const seconds = (performance.now() - started) / 1000
    log(`produced ${ORDERS} orders in ${seconds.toFixed(2)} s (idempotent, acks=all)`)

    const seen = new Map<string, number>()
    const options = { groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' as const }

    const first = kafka.consumer(options)
    first.subscribe([topic])
    const processedBeforeCrash = await processOrders(first, seen, CRASH_AFTER, false)
    const partitions = Array.from({ length: 6 }, (_, partition) => ({ topic, partition }))
    const committed = await first.committed(partitions)
    const committedBeforeCrash = committed.reduce((sum, c) => sum + (c.offset ?? 0n), 0n)
    log(
      `consumer 1 processed ${processedBeforeCrash} orders, committed ${committedBeforeCrash} ` +
        `(every ${COMMIT_EVERY}), then crashed mid-batch without committing`,
    )
    // A crash: no commit. close() still leaves the group so the demo does not wait for a session timeout.
    await first.close()

    const second = kafka.consumer(options)
    second.subscribe([topic])
    const remaining = ORDERS - Number(committedBeforeCrash)
    const processedAfterRestart = await processOrders(second, seen, remaining, true)
    await second.close()
    log(`consumer 2 resumed at the committed offsets and processed ${processedAfterRestart} orders`)

    let reprocessed = 0
    for (const count of seen.values()) reprocessed += count - 1
    const result: DemoResult = {
      produced: ORDERS,
      processedBeforeCrash,
      committedBeforeCrash,
      processedAfterRestart,
      distinctProcessed: seen.size,
      reprocessed,
    }
    log(
      `result: ${result.distinctProcessed} of ${ORDERS} orders processed, ${ORDERS - result.distinctProcessed} lost, ` +
        `${reprocessed} processed twice (exactly the ${processedBeforeCrash - Number(committedBeforeCrash)} ` +
        'processed after the last commit before the crash): at-least-once, as chosen',
    )
    await admin.deleteTopics([topic])
    return result
  } finally {
    await admin.close()
  }
}

async function main(): Promise<void> {
  const keepBroker = process.argv.includes('--keep-broker')
  let bootstrap = process.env.KAFKA_BOOTSTRAP
  let startedHere = false
  if (bootstrap === undefined) {
    log('starting a local Apache Kafka 4.3.1 broker (the first run downloads its jars from Maven Central)')
    const broker = await startBroker()
    bootstrap = broker.bootstrap
    startedHere = !broker.reused
    log(`broker ready at ${bootstrap}`)
  }
  try {
    const result = await runDemo(bootstrap)
    if (result.distinctProcessed !== result.produced) process.exitCode = 1
  } finally {
    if (startedHere && !keepBroker) {
      await stopBroker()
      log('stopped the broker the demo started (use --keep-broker to keep it)')
    }
  }
}

if (import.meta.main) await main()
