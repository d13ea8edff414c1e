/**
 * Exactly-once consume-transform-produce with Kafka transactions (the Dekaf / "Kafka: The Definitive Guide"
 * pattern): for each polled batch, begin a transaction, produce the results, add the input offsets to the
 * same transaction with the consumer's group metadata, and commit. Results and offsets become visible
 * together or not at all, so a crash anywhere re-processes the batch without a duplicate in the output
 * that `read_committed` consumers see.
 *
 * A restarted worker reuses the same transactionalId: its initTransactions() fences the crashed instance
 * (which can no longer commit anything) and aborts the transaction that instance left open.
 *
 *   node examples/exactly-once-transactions.ts <input-topic> <output-topic> <group> <expected>
 */

import { fileURLToPath } from 'node:url'
import type { TopicPartitionOffset } from '../src/common/types.ts'
import { Kafka } from '../src/kafka.ts'
import { bootstrapAddress } from './example-support.ts'

export interface Worker {
  input: string
  output: string
  groupId: string
  /** Stable across restarts of this worker: it is what fences a crashed predecessor. */
  transactionalId: string
  /** Stop once this many input records were committed by this run. */
  expected: number
  /**
   * Simulates a crash: after this many records were committed, the next batch's results and offsets are
   * sent but never committed, and the producer is abandoned without closing it.
   */
  crashAfter?: number
}

/** Runs the worker; resolves with the input values whose results it committed. */
export async function runExactlyOnce(worker: Worker): Promise<string[]> {
  const kafka = new Kafka({ bootstrap: [bootstrapAddress()] })
  const consumer = kafka.consumer({
    groupId: worker.groupId,
    groupProtocol: 'consumer',
    autoOffsetReset: 'earliest',
    // Offsets are committed by the producer's transaction, never by the consumer itself.
    enableAutoCommit: false,
    isolationLevel: 'read_committed',
    maxPollRecords: 5,
  })
  const producer = kafka.producer({ transactionalId: worker.transactionalId })
  const committed: string[] = []
  let crashed = false
  consumer.subscribe([worker.input])
  try {
    await producer.initTransactions()
    while (committed.length < worker.expected) {
      const messages = await consumer.poll({ timeoutMs: 1000 })
      if (messages.length === 0) continue

      producer.beginTransaction()
      const next = new Map<string, TopicPartitionOffset>()
      for (const message of messages) {
        const value = message.value?.toString() ?? ''
        void producer.send({ topic: worker.output, key: message.key, value: `result-of-${value}` })
        next.set(`${message.topic}:${message.partition}`, {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset + 1n, // the committed offset is the next one to read
          leaderEpoch: message.leaderEpoch,
        })
      }
      await producer.sendOffsetsToTransaction([...next.values()], consumer.groupMetadata())

      if (worker.crashAfter !== undefined && committed.length >= worker.crashAfter) {
        await producer.flush() // the results really are in the log, inside the open transaction
        crashed = true
        return committed
      }
      await producer.commitTransaction()
      for (const message of messages) committed.push(message.value?.toString() ?? '')
    }
    return committed
  } finally {
    // A crashed worker's producer is left as it is: only its successor's initTransactions() ends it.
    if (!crashed) await producer.close()
    await consumer.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, groupId, expected] = process.argv.slice(2)
  if (input === undefined || output === undefined || groupId === undefined) {
    console.error('usage: exactly-once-transactions.ts <input-topic> <output-topic> <group> <expected>')
    process.exit(2)
  }
  const done = await runExactlyOnce({
    input,
    output,
    groupId,
    transactionalId: `${groupId}-worker`,
    expected: Number(expected ?? 1),
  })
  console.log(`committed ${done.length} results`)
}
