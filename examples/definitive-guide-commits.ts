/**
 * The commit patterns of "Kafka: The Definitive Guide" (chapter 4, Commits and Offsets), with samsa.
 *
 * Each function is one scenario: it reads `expected` records of `topic` as group `groupId`, "processes" them
 * (collects their values) and returns what it processed. Run one from the command line:
 *   node examples/definitive-guide-commits.ts <scenario> <topic> <group> <expected>
 * (`wakeupThenCommitAndClose` reads until SIGTERM or Ctrl-C, then commits and closes.)
 */

import { fileURLToPath } from 'node:url'
import { WakeupError } from '../src/common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../src/common/types.ts'
import type { Consumer } from '../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../src/consumer/message.ts'
import { Kafka } from '../src/kafka.ts'
import { bootstrapAddress } from './example-support.ts'

export interface Scenario {
  topic: string
  groupId: string
  /** Stop after this many records. */
  expected: number
  /** Auto-commit period; the book's (and Kafka's) default is 5000. */
  autoCommitIntervalMs?: number
}

const kafka = () => new Kafka({ bootstrap: [bootstrapAddress()] })
const value = (m: ConsumerMessage) => m.value?.toString() ?? ''

/** Automatic commit: every autoCommitIntervalMs the consumer commits what the application finished. */
export async function automaticCommit(s: Scenario): Promise<string[]> {
  const consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: true,
    autoCommitIntervalMs: s.autoCommitIntervalMs ?? 5000,
  })
  const processed: string[] = []
  consumer.subscribe([s.topic])
  while (processed.length < s.expected) {
    for (const record of await consumer.poll({ timeoutMs: 100 })) processed.push(value(record))
  }
  // The records of the last poll were processed too: poll() once more marks them finished, and close()
  // makes the final automatic commit.
  await consumer.poll({ timeoutMs: 0 })
  await consumer.close()
  return processed
}

/** Commit current offset: process the whole poll, then commitSync — samsa's `await consumer.commit()`. */
export async function synchronousCommit(s: Scenario): Promise<string[]> {
  const consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  const processed: string[] = []
  consumer.subscribe([s.topic])
  try {
    while (processed.length < s.expected) {
      const records = await consumer.poll({ timeoutMs: 100 })
      for (const record of records) processed.push(value(record))
      if (records.length > 0) await consumer.commit()
    }
  } finally {
    await consumer.close()
  }
  return processed
}

/**
 * Combining asynchronous and synchronous commits: commitAsync in the loop (fast, never blocks; a failure is
 * fixed by the next one), a synchronous commit on the way out (the last word, waits for the async ones).
 */
export async function asyncInLoopSyncOnClose(s: Scenario): Promise<string[]> {
  const consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  const processed: string[] = []
  consumer.subscribe([s.topic])
  try {
    while (processed.length < s.expected) {
      const records = await consumer.poll({ timeoutMs: 100 })
      for (const record of records) processed.push(value(record))
      consumer.commitAsync(undefined, (error) => {
        if (error !== null) console.error('commit failed, the next one covers it:', error.message)
      })
    }
  } finally {
    try {
      await consumer.commit()
    } finally {
      await consumer.close()
    }
  }
  return processed
}

/**
 * Exiting the poll loop (the book's wakeup pattern): the shutdown hook, here SIGTERM or SIGINT (Ctrl-C), calls
 * `consumer.wakeup()`; the blocked poll throws `WakeupError`, and the loop's `finally` commits what was
 * processed and closes. `stopAfterMs`, if given, wakes it up from a timer as well (for a test in-process).
 */
export async function wakeupThenCommitAndClose(s: Scenario & { stopAfterMs?: number }): Promise<string[]> {
  const consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  const processed: string[] = []
  consumer.subscribe([s.topic])
  // The book's Runtime.addShutdownHook(() -> consumer.wakeup()).
  const shutdownHook = (): void => consumer.wakeup()
  process.once('SIGTERM', shutdownHook)
  process.once('SIGINT', shutdownHook)
  const timer = s.stopAfterMs === undefined ? undefined : setTimeout(shutdownHook, s.stopAfterMs)
  try {
    for (;;) {
      const records = await consumer.poll({ timeoutMs: 1000 })
      for (const record of records) processed.push(value(record))
      consumer.commitAsync()
    }
  } catch (error) {
    if (!(error instanceof WakeupError)) throw error
    // Expected: this is how the loop is asked to end.
  } finally {
    process.off('SIGTERM', shutdownHook)
    process.off('SIGINT', shutdownHook)
    clearTimeout(timer)
    try {
      await consumer.commit()
    } finally {
      await consumer.close()
    }
  }
  return processed
}

/**
 * Rebalance listeners: commit what was processed of the partitions being revoked, in `onPartitionsRevoked`,
 * before another member takes them over (the book's `HandleRebalance`). `currentOffsets` holds the next offset
 * to read for every record processed so far; the loop commits it asynchronously, the listener synchronously.
 * Several members share `all` (the records processed by any of them) and stop once it holds `expected`.
 */
export async function commitOnRevoke(
  s: Scenario & { all: string[]; perRecord?: () => Promise<void> },
): Promise<string[]> {
  const consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
    maxPollRecords: 5,
  })
  const processed: string[] = []
  const currentOffsets = new Map<string, TopicPartitionOffset>()
  consumer.subscribe([s.topic], {
    onPartitionsRevoked: async (partitions) => {
      const leaving = new Set(partitions.map((tp) => `${tp.topic}:${tp.partition}`))
      const offsets = [...currentOffsets].filter(([key]) => leaving.has(key)).map(([, offset]) => offset)
      if (offsets.length > 0) await consumer.commit(offsets)
      for (const key of leaving) currentOffsets.delete(key)
    },
  })
  try {
    // Shared with the other member, duplicates included: done when every record was processed once.
    while (new Set(s.all).size < s.expected) {
      for (const record of await consumer.poll({ timeoutMs: 100 })) {
        await s.perRecord?.()
        processed.push(value(record))
        s.all.push(value(record))
        currentOffsets.set(`${record.topic}:${record.partition}`, {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset + 1n,
        })
      }
      consumer.commitAsync(ownedOffsets(consumer, currentOffsets))
    }
    await consumer.commit(ownedOffsets(consumer, currentOffsets))
  } finally {
    await consumer.close()
  }
  return processed
}

/**
 * The processed offsets of the partitions this member still owns. Unlike Java's, samsa's listener runs when
 * the rebalance happens, not inside `poll()`, so records of a revoked partition may still be in hand and be
 * processed after the listener committed it; the new owner repeats those (at most one poll's worth), and their
 * offsets are not this member's to commit any more.
 */
function ownedOffsets(
  consumer: Consumer,
  current: Map<string, TopicPartitionOffset>,
): TopicPartitionOffset[] {
  const owned = new Set(consumer.assignment().map((tp) => `${tp.topic}:${tp.partition}`))
  for (const key of current.keys()) if (!owned.has(key)) current.delete(key)
  return [...current.values()]
}

/** Committing a specified offset: every 10 records, commit the offset after the record just processed. */
export async function commitSpecifiedOffset(s: Scenario): Promise<string[]> {
  const consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  const processed: string[] = []
  const current = new Map<string, TopicPartitionOffset>()
  consumer.subscribe([s.topic])
  try {
    while (processed.length < s.expected) {
      for (const record of await consumer.poll({ timeoutMs: 100 })) {
        processed.push(value(record))
        // The committed offset is the next one to read: the record's offset + 1.
        current.set(`${record.topic}:${record.partition}`, {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset + 1n,
          metadata: 'no metadata',
        })
        if (processed.length % 10 === 0) consumer.commitAsync([...current.values()])
      }
    }
    await consumer.commit([...current.values()])
  } finally {
    await consumer.close()
  }
  return processed
}

/**
 * Consuming records with specific offsets: results and offsets live in an external store; on assignment the
 * consumer seeks to the stored offsets, so the group's own commits are not needed at all.
 */
export async function seekFromExternalStore(
  s: Scenario,
  store: Map<string, bigint>,
  results: string[],
): Promise<void> {
  const consumer: Consumer = kafka().consumer({
    groupId: s.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  consumer.subscribe([s.topic], {
    onPartitionsAssigned(partitions: TopicPartition[]) {
      for (const tp of partitions) {
        const offset = store.get(`${tp.topic}:${tp.partition}`)
        if (offset !== undefined) consumer.seek({ ...tp, offset })
      }
    },
  })
  try {
    while (results.length < s.expected) {
      for (const record of await consumer.poll({ timeoutMs: 100 })) {
        // "One transaction": the result and the offset after it are stored together.
        results.push(value(record))
        store.set(`${record.topic}:${record.partition}`, record.offset + 1n)
      }
    }
  } finally {
    await consumer.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, topic, groupId, expected] = process.argv.slice(2)
  // wakeupThenCommitAndClose runs until SIGTERM or Ctrl-C.
  const scenarios = {
    automaticCommit,
    synchronousCommit,
    asyncInLoopSyncOnClose,
    commitSpecifiedOffset,
    wakeupThenCommitAndClose,
  }
  const run = scenarios[name as keyof typeof scenarios]
  if (run === undefined || topic === undefined || groupId === undefined) {
    console.error(
      `usage: definitive-guide-commits.ts <${Object.keys(scenarios).join('|')}> <topic> <group> <expected>`,
    )
    process.exit(2)
  }
  const processed = await run({ topic, groupId, expected: Number(expected ?? 1) })
  console.log(`processed ${processed.length} records`)
}
