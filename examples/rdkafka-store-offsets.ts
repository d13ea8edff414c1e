/**
 * rust-rdkafka's manual offset management (librdkafka's `enable.auto.offset.store=false`): consume, process
 * and produce the result, and only then store the input's offset; auto-commit commits stored offsets only.
 * A record whose processing fails is never stored, so a restart reads it again: at-least-once, nothing lost.
 *
 *   node examples/rdkafka-store-offsets.ts <input-topic> <output-topic> <group> <expected>
 */

import { fileURLToPath } from 'node:url'
import { Kafka } from '../src/kafka.ts'
import { bootstrapAddress } from './example-support.ts'

export interface Pipeline {
  input: string
  output: string
  groupId: string
  /** Stop after this many records were handled (successfully or not). */
  expected: number
  /** Processing fails for these values (a crash stands for it: the run ends without storing them). */
  failOn?: ReadonlySet<string>
  autoCommitIntervalMs?: number
}

/** Runs the pipeline; resolves with the values it transformed and produced. */
export async function consumeTransformProduce(p: Pipeline): Promise<string[]> {
  const kafka = new Kafka({ bootstrap: [bootstrapAddress()] })
  const consumer = kafka.consumer({
    groupId: p.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: true,
    enableAutoOffsetStore: false,
    autoCommitIntervalMs: p.autoCommitIntervalMs ?? 5000,
  })
  const producer = kafka.producer({ acks: 'all' })
  const produced: string[] = []
  consumer.subscribe([p.input])
  let handled = 0
  try {
    for await (const message of consumer) {
      handled++
      const text = message.value?.toString() ?? ''
      if (p.failOn?.has(text)) {
        // Not stored: this record and (per partition) everything after it will be read again.
        break
      }
      await producer.send({ topic: p.output, key: message.key, value: text.toUpperCase() })
      produced.push(text)
      consumer.storeOffsets(message) // stores message.offset + 1 for the next auto-commit
      if (handled >= p.expected) break
    }
  } finally {
    await producer.close()
    await consumer.close() // commits what is stored, nothing more
  }
  return produced
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, groupId, expected] = process.argv.slice(2)
  if (input === undefined || output === undefined || groupId === undefined) {
    console.error('usage: rdkafka-store-offsets.ts <input-topic> <output-topic> <group> <expected>')
    process.exit(2)
  }
  const produced = await consumeTransformProduce({ input, output, groupId, expected: Number(expected ?? 1) })
  console.log(`transformed ${produced.length} records`)
}
