/**
 * One partition's batch through its whole life: filled by the accumulator, sealed and stamped with a
 * sequence by the sender, possibly retried, and finally completed, which settles every record's delivery
 * and releases its memory.
 */

import type { DeliverySink } from './delivery.ts'
import { type EncodableRecord, RecordBatchBuilder } from './record-batch-builder.ts'

export class ProducerBatch {
  readonly topic: string
  readonly partition: number
  /** When the first record was appended (ms); `lingerMs` and `deliveryTimeoutMs` count from here. */
  readonly createdAt: number
  /** Creation order across the producer; within a partition, the order batches must be written in. */
  readonly ordinal: number
  readonly builder: RecordBatchBuilder

  /** Bytes reserved from the buffer memory by this batch's records. */
  reservedBytes = 0
  /** No more records: full, or drained for sending. */
  closed = false
  /** Times it was sent. */
  attempts = 0
  /** Not sent again before this time (ms), after a failed attempt. */
  retryAt = 0
  /** Base sequence given at first send, or -1 (non-idempotent, not sent yet, or reset by an epoch bump). */
  baseSequence = -1
  /** The producer epoch the batch was last stamped with. */
  producerEpoch = -1
  /** The node the batch was last sent to, while in flight. */
  inFlightTo = -1

  private readonly sinks: DeliverySink[] = []
  private readonly indexes: number[] = []
  private readonly timestamps: number[] = []
  private completed = false

  constructor(topic: string, partition: number, targetBytes: number, createdAt: number, ordinal: number) {
    this.topic = topic
    this.partition = partition
    this.createdAt = createdAt
    this.ordinal = ordinal
    this.builder = new RecordBatchBuilder(targetBytes)
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
    this.sinks.push(sink)
    this.indexes.push(index)
    this.timestamps.push(record.timestamp)
  }

  /**
   * Reports success: record i was written at `baseOffset + i`. `logAppendTime` is the broker's time for
   * topics with LogAppendTime timestamps, else -1 and each record keeps its own create time.
   */
  succeed(baseOffset: bigint, logAppendTime: number): void {
    if (this.completed) return
    this.completed = true
    const { topic, partition, sinks, indexes, timestamps } = this
    for (let i = 0; i < sinks.length; i++) {
      const offset = baseOffset < 0n ? -1n : baseOffset + BigInt(i)
      const timestamp = logAppendTime >= 0 ? logAppendTime : timestamps[i]!
      sinks[i]!.delivered(indexes[i]!, topic, partition, offset, timestamp)
    }
    this.builder.release()
  }

  /** Reports `error` for every record of the batch. */
  fail(error: Error): void {
    if (this.completed) return
    this.completed = true
    const { sinks, indexes } = this
    for (let i = 0; i < sinks.length; i++) sinks[i]!.failed(indexes[i]!, error)
    this.builder.release()
  }
}
