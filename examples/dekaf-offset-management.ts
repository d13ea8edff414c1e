/**
 * Dekaf's offset-management guide, with samsa: commit strategies (per message, per batch of 100,
 * periodically), at-most-once vs at-least-once, reading committed offsets and positions, seeking, and
 * handling a commit that fails because of a rebalance.
 */

import { CommitFailedError, RebalanceInProgressError } from '../src/common/errors.ts'
import type { Consumer } from '../src/consumer/consumer.ts'
import { Kafka } from '../src/kafka.ts'
import { bootstrapAddress } from './example-support.ts'

export type Strategy = 'per-message' | 'batch-of-100' | 'periodic' | 'at-most-once'

export interface Run {
  topic: string
  groupId: string
  /** Stop after processing this many records. */
  expected?: number
  /** Stop after processing this value (the last record written), however many records that takes. */
  stopAfter?: string
  strategy: Strategy
  /** For `periodic`: the interval (Dekaf's example uses 5 s). */
  periodMs?: number
  /** Stands for a crash: processing of this value throws before it is done. */
  crashOn?: string
}

/** Manual mode with one of the guide's commit strategies; resolves with the values processed. */
export async function consumeWithStrategy(run: Run): Promise<string[]> {
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
    groupId: run.groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  consumer.subscribe([run.topic])
  const processed: string[] = []
  let sinceCommit = 0
  let lastCommit = Date.now()
  try {
    for await (const message of consumer) {
      const text = message.value?.toString() ?? ''
      if (run.strategy === 'at-most-once') {
        // Commit first, then process: a crash during processing loses this message, never duplicates it.
        await consumer.commit([
          { topic: message.topic, partition: message.partition, offset: message.offset + 1n },
        ])
      }
      if (text === run.crashOn) break
      processed.push(text)
      sinceCommit++
      if (run.strategy === 'per-message') await consumer.commit()
      else if (run.strategy === 'batch-of-100' && sinceCommit >= 100) {
        await commitTolerantOfRebalance(consumer)
        sinceCommit = 0
      } else if (run.strategy === 'periodic' && Date.now() - lastCommit > (run.periodMs ?? 5000)) {
        await commitTolerantOfRebalance(consumer)
        lastCommit = Date.now()
      }
      if (processed.length === run.expected || text === run.stopAfter) break
    }
    if (run.strategy !== 'at-most-once' && run.crashOn === undefined)
      await commitTolerantOfRebalance(consumer)
  } finally {
    await consumer.close()
  }
  return processed
}

/**
 * The guide's best practice 5: a commit can fail while the group rebalances. The partitions concerned are in
 * the error; their records will be read again by their next owner (at-least-once), so log and go on.
 */
export async function commitTolerantOfRebalance(consumer: Consumer): Promise<void> {
  try {
    await consumer.commit()
  } catch (error) {
    if (error instanceof RebalanceInProgressError || error instanceof CommitFailedError) {
      console.warn(
        `commit failed during a rebalance for ${error.partitions.length} partitions; they will be re-read`,
      )
      return
    }
    throw error
  }
}

/** Committed offset, position, seeks and offsets for times — the guide's query and seek calls. */
export async function inspectAndSeek(topic: string, groupId: string, since: number) {
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
    groupId,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  const tp = { topic, partition: 0 }
  try {
    consumer.assign([tp])
    const [committed] = await consumer.committed([tp])
    const startPosition = await consumer.positionAsync(tp) // next offset to be consumed
    consumer.seek({ ...tp, offset: 5n })
    const afterSeek = (await consumer.poll({ timeoutMs: 5000 }))[0]?.offset
    consumer.seekToBeginning([tp])
    const beginning = await consumer.positionAsync(tp)
    consumer.seekToEnd([tp])
    const end = await consumer.positionAsync(tp)
    const [forTime] = await consumer.offsetsForTimes([{ ...tp, timestamp: since }])
    if (forTime?.offset !== null && forTime !== undefined) consumer.seek({ ...tp, offset: forTime.offset })
    const afterTimeSeek = consumer.position(tp)
    return { committed: committed?.offset ?? null, startPosition, afterSeek, beginning, end, afterTimeSeek }
  } finally {
    await consumer.close()
  }
}
