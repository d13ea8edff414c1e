/** The producer's public vocabulary: what callers send, what they get back, and how they pick partitions. */

import type { RecordHeader } from '../common/types.ts'

/** One record to produce. */
export interface ProducerRecord {
  topic: string
  /** The payload; strings are encoded as UTF-8. `null` is a tombstone on compacted topics. */
  value: Buffer | string | null
  /** Records with the same key land on the same partition (Java-compatible murmur2). */
  key?: Buffer | string | null
  /** A list (repeated keys allowed) or a plain object of header name to value. */
  headers?: RecordHeader[] | Record<string, string | Buffer>
  /** An explicit partition; wins over the key and the partitioner. */
  partition?: number
  /** Create time in ms since the epoch; defaults to the time `send()` is called. */
  timestamp?: number
}

/** Where a record was written. */
export interface RecordMetadata {
  topic: string
  partition: number
  /** The record's offset; `-1n` when `acks` is 0 and the broker sends no answer. */
  offset: bigint
  /**
   * The record's timestamp: its create time, or the broker's append time when the topic uses
   * `message.timestamp.type=LogAppendTime`.
   */
  timestamp: number
}

/** What a partitioner may look at besides the record itself. */
export interface PartitionerContext {
  /** The record's key as bytes (strings already UTF-8 encoded), or `null`. */
  keyBytes: Buffer | null
  /** Partitions of the topic that currently have a leader, ascending. May be empty during elections. */
  availablePartitions: readonly number[]
}

/**
 * Chooses the partition of a record that has no explicit `partition`. Must return an integer in
 * `[0, partitionCount)`; anything else fails the `send()` with an error naming the partitioner.
 */
export type Partitioner = (
  record: ProducerRecord,
  partitionCount: number,
  context: PartitionerContext,
) => number

/** `acks` as users write it: 0 (fire and forget), 1 (leader only), `'all'` or -1 (all in-sync replicas). */
export type Acks = 0 | 1 | -1 | 'all'
