/**
 * One partition's log, held in memory as the record batches producers sent, byte for byte.
 *
 * A broker never re-encodes a producer's batch: it only assigns offsets, by writing the batch's base offset
 * (and the leader epoch) into the header. Neither field is covered by the batch CRC (which starts at the
 * attributes), so the stored bytes stay valid for every client that checks CRCs. Fetch hands the same bytes
 * back, which is what lets independent clients (kafkajs, the Java tools) read what samsa wrote and vice versa.
 */

import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_BIT,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  TRANSACTIONAL_BIT,
} from '../protocol/records/batch-layout.ts'

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

export class PartitionLog {
  readonly #batches: StoredBatch[] = []
  #logStartOffset = 0n
  #logEndOffset = 0n

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
   * leader epoch into the copy, and returns where it went.
   */
  append(batch: IncomingBatch, leaderEpoch: number): StoredBatch {
    const bytes = Buffer.from(batch.bytes)
    const baseOffset = this.#logEndOffset
    bytes.writeBigInt64BE(baseOffset, BASE_OFFSET_OFFSET)
    bytes.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
    const stored: StoredBatch = {
      baseOffset,
      lastOffset: baseOffset + BigInt(batch.lastOffsetDelta),
      maxTimestamp: batch.maxTimestamp,
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
   * The batches holding `fetchOffset` and after, up to `maxBytes` and below `upTo` (exclusive); the first batch
   * is always included even when larger than `maxBytes`, as Kafka does (KIP-74), so a consumer never sticks.
   */
  read(fetchOffset: bigint, maxBytes: number, upTo: bigint = this.#logEndOffset): StoredBatch[] {
    const found: StoredBatch[] = []
    let bytes = 0
    for (const batch of this.#batches) {
      if (batch.lastOffset < fetchOffset) continue
      if (batch.baseOffset >= upTo) break
      if (found.length > 0 && bytes + batch.bytes.length > maxBytes) break
      found.push(batch)
      bytes += batch.bytes.length
    }
    return found
  }

  /** The first offset whose batch's max timestamp is at or after `timestamp`, or null if none is. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    for (const batch of this.#batches) {
      if (batch.control || batch.lastOffset < this.#logStartOffset) continue
      if (batch.maxTimestamp >= timestamp) {
        // The batch may begin below the log start (DeleteRecords cuts inside batches).
        let offset = batch.baseOffset
        if (offset < this.#logStartOffset) offset = this.#logStartOffset
        return { offset, timestamp: batch.maxTimestamp }
      }
    }
    return null
  }

  /** The offset and timestamp of the record with the largest timestamp, or null on an empty log. */
  maxTimestamp(): { offset: bigint; timestamp: bigint } | null {
    let best: { offset: bigint; timestamp: bigint } | null = null
    for (const batch of this.#batches) {
      if (batch.control || batch.lastOffset < this.#logStartOffset) continue
      if (best === null || batch.maxTimestamp > best.timestamp) {
        best = { offset: batch.lastOffset, timestamp: batch.maxTimestamp }
      }
    }
    return best
  }

  /** Raises the log start offset (DeleteRecords) and drops batches wholly below it. */
  deleteBefore(offset: bigint): void {
    if (offset <= this.#logStartOffset) return
    this.#logStartOffset = offset
    while (this.#batches.length > 0 && this.#batches[0]!.lastOffset < offset) this.#batches.shift()
  }
}
