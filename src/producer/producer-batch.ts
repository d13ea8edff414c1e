/**
 * One partition's batch through its whole life: filled by the accumulator, sealed and stamped with a
 * sequence by the sender, possibly retried, and finally completed, which settles every record's delivery
 * and releases its memory.
 */

import type { KafkaError } from '../common/errors.ts'
import {
  type EncodableRecord,
  estimateRecordBytes,
  RecordBatchBuilder,
} from '../protocol/records/batch-builder.ts'
import type { DeliverySink } from './delivery.ts'
import { incrementSequence } from './sequence-number.ts'

/**
 * Records of a batch whose deliveries go to the same sink under consecutive indexes and that carry the same
 * timestamp, kept as one entry: a `sendBatch` call's records for a partition are usually one run, so the
 * batch keeps one entry per call instead of three array slots per record.
 */
interface DeliveryRun {
  readonly sink: DeliverySink
  readonly firstIndex: number
  readonly timestamp: number
  count: number
}

export class ProducerBatch {
  readonly topic: string
  readonly partition: number
  /** When the first record was appended (ms); `lingerMs` and `deliveryTimeoutMs` count from here. */
  readonly createdAt: number
  /** Creation order across the producer; within a partition, the order batches must be written in. */
  readonly ordinal: number
  /**
   * For the parts of a split batch, their index in each split that led to them (empty for a batch the
   * accumulator made): parts share their original's ordinal and are ordered by this path after it.
   */
  readonly splitPath: readonly number[]
  readonly builder: RecordBatchBuilder

  /** Bytes reserved from the buffer memory by this batch's records. */
  reservedBytes = 0
  /** No more records: full, or drained for sending. */
  closed = false
  /** Times it was sent. */
  attempts = 0
  /** Not sent again before this time (ms), after a failed attempt. */
  retryAt = 0
  /** Why the last attempt failed, so an expiry can say what kept the batch from being written. */
  lastError: KafkaError | undefined = undefined
  /** Base sequence given at first send, or -1 (non-idempotent, not sent yet, or reset by an epoch bump). */
  baseSequence = -1
  /** The producer epoch the batch was last stamped with. */
  producerEpoch = -1
  /** The node the batch was last sent to, while in flight. */
  inFlightTo = -1

  /** Whom to tell about each record, in record order. */
  private readonly runs: DeliveryRun[] = []
  private completed = false

  constructor(
    topic: string,
    partition: number,
    targetBytes: number,
    createdAt: number,
    ordinal: number,
    splitPath: readonly number[] = [],
    /** Bytes the batch's buffer starts with (it grows up to `targetBytes` as records arrive). */
    initialBytes?: number,
  ) {
    this.topic = topic
    this.partition = partition
    this.createdAt = createdAt
    this.ordinal = ordinal
    this.splitPath = splitPath
    this.builder = new RecordBatchBuilder(targetBytes, initialBytes)
  }

  /** True when this batch must be written before `other` (same partition): creation order, then split order. */
  precedes(other: ProducerBatch): boolean {
    if (this.ordinal !== other.ordinal) return this.ordinal < other.ordinal
    const mine = this.splitPath
    const theirs = other.splitPath
    for (let i = 0; i < mine.length && i < theirs.length; i++) {
      if (mine[i] !== theirs[i]) return mine[i]! < theirs[i]!
    }
    // One is a part of the other; both never wait in a queue together.
    return mine.length < theirs.length
  }

  get recordCount(): number {
    return this.builder.recordCount
  }

  get sizeBytes(): number {
    return this.builder.sizeBytes
  }

  get isCompleted(): boolean {
    return this.completed
  }

  /** Appends a record whose delivery is reported to `sink` as its `index`. */
  append(record: EncodableRecord, recordBytes: number, sink: DeliverySink, index: number): void {
    this.builder.append(record)
    this.reservedBytes += recordBytes
    const runs = this.runs
    const last = runs[runs.length - 1]
    if (
      last !== undefined &&
      last.sink === sink &&
      last.firstIndex + last.count === index &&
      last.timestamp === record.timestamp
    ) {
      last.count++
    } else {
      runs.push({ sink, firstIndex: index, timestamp: record.timestamp, count: 1 })
    }
  }

  /**
   * Reports success: record i was written at `baseOffset + i`. `logAppendTime` is the broker's time for
   * topics with LogAppendTime timestamps, else -1 and each record keeps its own create time.
   */
  succeed(baseOffset: bigint, logAppendTime: number): void {
    if (this.completed) return
    this.completed = true
    const { topic, partition } = this
    // One bigint per record (the running offset) rather than two (BigInt(i) and the sum).
    const known = baseOffset >= 0n
    let offset = known ? baseOffset : -1n
    for (const { sink, firstIndex, timestamp: createTime, count } of this.runs) {
      const timestamp = logAppendTime >= 0 ? logAppendTime : createTime
      for (let index = firstIndex; index < firstIndex + count; index++) {
        sink.delivered(index, topic, partition, offset, timestamp)
        if (known) offset++
      }
    }
    this.builder.release()
  }

  /**
   * Splits a batch the broker rejected as too large into batches of at most `targetBytes` each (one record
   * per batch at least), in record order. The parts take over the records' deliveries and reserved memory,
   * keep the creation time (the delivery timeout still counts from the first append) and take this batch's
   * place in its partition's order (same ordinal, {@link splitPath} one longer), and are closed. This batch must then be dropped
   * without completing it.
   *
   * A sequenced batch hands its sequence range on: the broker wrote none of it, so the parts fill exactly
   * that range, numbered consecutively from this batch's base sequence under the same epoch, and batches
   * numbered after it stay valid.
   */
  split(targetBytes: number): ProducerBatch[] {
    const records = this.builder.records()
    const parts: ProducerBatch[] = []
    let part: ProducerBatch | undefined
    let run = 0
    let inRun = 0
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const { sink, firstIndex, count } = this.runs[run]!
      const index = firstIndex + inRun
      if (++inRun === count) {
        run++
        inRun = 0
      }
      const recordBytes = estimateRecordBytes(record)
      if (part === undefined || !part.builder.hasRoomFor(recordBytes)) {
        part = new ProducerBatch(this.topic, this.partition, targetBytes, this.createdAt, this.ordinal, [
          ...this.splitPath,
          parts.length,
        ])
        part.closed = true
        parts.push(part)
      }
      part.append(record, recordBytes, sink, index)
    }
    let sequence = this.baseSequence
    for (const split of parts) {
      split.producerEpoch = this.producerEpoch
      if (sequence >= 0) {
        split.baseSequence = sequence
        sequence = incrementSequence(sequence, split.recordCount)
      }
    }
    // The estimates are recomputed from the same bytes, so the parts hold exactly what this batch held;
    // assigned anyway so memory accounting cannot drift if the estimate ever changes.
    const first = parts[0]
    if (first !== undefined) {
      first.reservedBytes += this.reservedBytes - parts.reduce((sum, p) => sum + p.reservedBytes, 0)
    }
    this.completed = true
    this.builder.release()
    return parts
  }

  /** Reports `error` for every record of the batch. */
  fail(error: Error): void {
    if (this.completed) return
    this.completed = true
    for (const { sink, firstIndex, count } of this.runs) {
      for (let index = firstIndex; index < firstIndex + count; index++) sink.failed(index, error)
    }
    this.builder.release()
  }
}
