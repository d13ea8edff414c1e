/**
 * One partition's log, held in memory as the record batches producers sent, byte for byte.
 *
 * A broker never re-encodes a producer's batch: it only assigns offsets, by writing the batch's base offset
 * (and the leader epoch) into the header. Neither field is covered by the batch CRC (which starts at the
 * attributes), so the stored bytes stay valid for every client that checks CRCs. Fetch hands the same bytes
 * back, which is what lets independent clients (kafkajs, the Java tools) read what samsa wrote and vice versa.
 */

import { decodeRecordBatches } from '../protocol/records/batch-decoder.ts'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_BIT,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
} from '../protocol/records/batch-layout.ts'
import { crc32c } from '../protocol/records/crc32c.ts'

/** The records of a stored batch, decompressed if need be (the CRC was checked on append). */
async function recordsOf(batch: StoredBatch) {
  const decoded = await decodeRecordBatches(batch.bytes, { verifyCrc: false })
  return decoded.batches.flatMap((b) => b.records)
}

/** One batch as stored: its bytes (offsets already assigned) and the header fields the broker looks at. */
export interface StoredBatch {
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly maxTimestamp: bigint
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number
  readonly transactional: boolean
  readonly control: boolean
  readonly bytes: Buffer
}

/** The header fields of a batch as a producer sent it, before it is appended. */
export interface IncomingBatch {
  readonly bytes: Buffer
  readonly lastOffsetDelta: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number
  readonly transactional: boolean
  readonly control: boolean
  readonly maxTimestamp: bigint
}

/** Reads the header fields the broker needs from one complete batch (validated by the caller). */
export function describeBatch(bytes: Buffer): IncomingBatch {
  const attributes = bytes.readInt16BE(ATTRIBUTES_OFFSET)
  return {
    bytes,
    lastOffsetDelta: bytes.readInt32BE(LAST_OFFSET_DELTA_OFFSET),
    producerId: bytes.readBigInt64BE(PRODUCER_ID_OFFSET),
    producerEpoch: bytes.readInt16BE(PRODUCER_EPOCH_OFFSET),
    baseSequence: bytes.readInt32BE(BASE_SEQUENCE_OFFSET),
    recordCount: bytes.readInt32BE(RECORD_COUNT_OFFSET),
    transactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    control: (attributes & CONTROL_BIT) !== 0,
    maxTimestamp: bytes.readBigInt64BE(MAX_TIMESTAMP_OFFSET),
  }
}

/** Total length of the batch starting at `start` (its 12-byte prefix plus the length it declares). */
export function batchSizeAt(records: Buffer, start: number): number {
  return LOG_OVERHEAD + records.readInt32BE(start + BATCH_LENGTH_OFFSET)
}

/** Where a leader epoch began: the log end offset when that leader took over. */
export interface EpochStart {
  readonly epoch: number
  readonly startOffset: bigint
}

export class PartitionLog {
  readonly #batches: StoredBatch[] = []
  #logStartOffset = 0n
  #logEndOffset = 0n
  /** Leader epochs with their start offsets, as Kafka's leader-epoch checkpoint holds them (KIP-101). */
  #epochs: EpochStart[] = [{ epoch: 0, startOffset: 0n }]

  /** The first offset a consumer can still read (raised by DeleteRecords). */
  get logStartOffset(): bigint {
    return this.#logStartOffset
  }

  /** The offset the next appended record gets; also the high watermark, as every partition has one replica. */
  get logEndOffset(): bigint {
    return this.#logEndOffset
  }

  /** Every stored batch, oldest first; read-only for the broker's other parts. */
  get batches(): readonly StoredBatch[] {
    return this.#batches
  }

  /**
   * Appends one batch: copies its bytes (the request frame is not ours to keep), writes the base offset and
   * leader epoch into the copy, and returns where it went. With `logAppendTime` (a topic whose
   * `message.timestamp.type` is LogAppendTime) the batch is stamped as Kafka stamps it: the timestamp-type
   * bit and the max timestamp, which then stands for every record's timestamp, and a new CRC, since the
   * attributes are under it; the records themselves are left as sent.
   */
  append(batch: IncomingBatch, leaderEpoch: number, logAppendTime?: bigint): StoredBatch {
    const bytes = Buffer.from(batch.bytes)
    const baseOffset = this.#logEndOffset
    bytes.writeBigInt64BE(baseOffset, BASE_OFFSET_OFFSET)
    bytes.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
    if (logAppendTime !== undefined) {
      bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_BIT, ATTRIBUTES_OFFSET)
      bytes.writeBigInt64BE(logAppendTime, MAX_TIMESTAMP_OFFSET)
      bytes.writeUInt32BE(crc32c(bytes, ATTRIBUTES_OFFSET, bytes.length), CRC_OFFSET)
    }
    const stored: StoredBatch = {
      baseOffset,
      lastOffset: baseOffset + BigInt(batch.lastOffsetDelta),
      maxTimestamp: logAppendTime ?? batch.maxTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      recordCount: batch.recordCount,
      transactional: batch.transactional,
      control: batch.control,
      bytes,
    }
    this.#batches.push(stored)
    this.#logEndOffset = stored.lastOffset + 1n
    return stored
  }

  /**
   * The batches holding `fetchOffset` and after, up to `maxBytes` and below `upTo` (exclusive). With
   * `firstAlways`, the first batch is included even when larger than `maxBytes`, as Kafka does for the first
   * partition of a fetch that returns data (KIP-74), so a consumer never sticks on a large batch.
   */
  read(
    fetchOffset: bigint,
    maxBytes: number,
    upTo: bigint = this.#logEndOffset,
    firstAlways = true,
  ): StoredBatch[] {
    const found: StoredBatch[] = []
    let bytes = 0
    for (const batch of this.#batches) {
      if (batch.lastOffset < fetchOffset) continue
      if (batch.baseOffset >= upTo) break
      if ((found.length > 0 || !firstAlways) && bytes + batch.bytes.length > maxBytes) break
      found.push(batch)
      bytes += batch.bytes.length
    }
    return found
  }

  /**
   * ListOffsets by time: the first record (in offset order, from the log start) whose timestamp is at or
   * after `timestamp`, or null if none is. Batches whose max timestamp is below it are skipped unread; the
   * one that may hold it is decoded to find the record, as Kafka's time index lookup ends in a scan.
   */
  async offsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    for (const batch of this.#batches) {
      if (batch.control || batch.lastOffset < this.#logStartOffset || batch.maxTimestamp < timestamp) continue
      for (const record of await recordsOf(batch)) {
        if (record.offset >= this.#logStartOffset && record.timestamp >= timestamp) {
          return { offset: record.offset, timestamp: record.timestamp }
        }
      }
    }
    return null
  }

  /** The offset and timestamp of the record with the largest timestamp (the first such), or null if empty. */
  async maxTimestamp(): Promise<{ offset: bigint; timestamp: bigint } | null> {
    let holder: StoredBatch | undefined
    for (const batch of this.#batches) {
      if (batch.control || batch.lastOffset < this.#logStartOffset) continue
      if (holder === undefined || batch.maxTimestamp > holder.maxTimestamp) holder = batch
    }
    if (holder === undefined) return null
    let best: { offset: bigint; timestamp: bigint } | null = null
    for (const record of await recordsOf(holder)) {
      if (record.offset < this.#logStartOffset) continue
      if (best === null || record.timestamp > best.timestamp)
        best = { offset: record.offset, timestamp: record.timestamp }
    }
    return best
  }

  /**
   * The leader epoch `offset` was written in: that of the last epoch starting at or before it (Kafka's
   * LeaderEpochFileCache.epochForOffset), -1 when none does.
   */
  epochAt(offset: bigint): number {
    let epoch = -1
    for (const entry of this.#epochs) {
      if (entry.startOffset > offset) break
      epoch = entry.epoch
    }
    return epoch
  }

  /**
   * Records that leader `epoch` starts at the current log end. As Kafka's LeaderEpochFileCache.assign, an
   * entry of the same or a later epoch, or one starting at or after this offset (an epoch that never wrote
   * anything), gives way to it.
   */
  beginEpoch(epoch: number): void {
    const start = this.#logEndOffset
    this.#epochs = this.#epochs.filter((e) => e.epoch < epoch && e.startOffset < start)
    this.#epochs.push({ epoch, startOffset: start })
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch at or below `epoch` and the offset where it ended (the start of
   * the next epoch, or the log end for the latest), or -1 / -1 when the log knows no such epoch.
   */
  endOffsetFor(epoch: number): { epoch: number; endOffset: bigint } {
    const undefinedEpoch = { epoch: -1, endOffset: -1n }
    const latest = this.#epochs[this.#epochs.length - 1]!
    if (epoch < 0) return undefinedEpoch
    if (epoch === latest.epoch) return { epoch, endOffset: this.#logEndOffset }
    const higher = this.#epochs.findIndex((e) => e.epoch > epoch)
    if (higher <= 0) return undefinedEpoch
    return { epoch: this.#epochs[higher - 1]!.epoch, endOffset: this.#epochs[higher]!.startOffset }
  }

  /**
   * Cuts the log at `offset` (and the whole batch holding it), as a replica that lost an unclean election
   * would: records at and after it are gone, and epochs that began after the cut are forgotten.
   */
  truncateTo(offset: bigint): void {
    while (this.#batches.length > 0 && this.#batches[this.#batches.length - 1]!.lastOffset >= offset) {
      this.#batches.pop()
    }
    const last = this.#batches[this.#batches.length - 1]
    this.#logEndOffset = last === undefined ? this.#logStartOffset : last.lastOffset + 1n
    if (this.#logEndOffset < this.#logStartOffset) this.#logEndOffset = this.#logStartOffset
    this.#epochs = this.#epochs.filter((e, i) => i === 0 || e.startOffset <= this.#logEndOffset)
  }

  /** Raises the log start offset (DeleteRecords) and drops batches wholly below it. */
  deleteBefore(offset: bigint): void {
    if (offset <= this.#logStartOffset) return
    this.#logStartOffset = offset
    while (this.#batches.length > 0 && this.#batches[0]!.lastOffset < offset) this.#batches.shift()
  }
}
