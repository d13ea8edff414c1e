/**
 * The one encoder of magic v2 record batches. It builds a batch incrementally, the way the producer fills it: records are encoded
 * straight into one growing Buffer as they are appended (no per-record objects kept), the 61-byte batch
 * header is reserved in front, and the header is filled in only when the batch is sent, because the
 * producer id, epoch and base sequence are assigned at that moment, not at append time.
 *
 * Wire layout (Kafka's DefaultRecordBatch / DefaultRecord):
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 | producerId int64 |
 *   producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 * and each record:
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint | key (varint length) |
 *   value (varint length) | header count varint | headers (varint-length key and value)
 * The CRC-32C covers everything from `attributes` to the end.
 *
 * `encodeRecordBatch` (batch-encoder.ts) encodes a whole batch at once through this builder, for tests,
 * fixtures and tools, so the bytes checked against the Java client are the bytes the producer sends.
 */

import { Reader } from '../primitives/reader.ts'
import type { TimestampType } from './batch-header.ts'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
} from './batch-layout.ts'
import { crc32c } from './crc32c.ts'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.ts'

/** A header already converted to bytes, ready to be encoded. */
export interface EncodedHeader {
  key: Buffer
  value: Buffer | null
}

/** The record fields in the byte form the builder writes. */
export interface EncodableRecord {
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: readonly EncodedHeader[] | null
}

function bytesFieldSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length
}

/** Size of the record body (everything after its own length prefix), given its offset and timestamp deltas. */
function recordBodyBytes(record: EncodableRecord, offsetDelta: number, timestampDelta: number): number {
  let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta)
  size += bytesFieldSize(record.key) + bytesFieldSize(record.value)
  const headers = record.headers
  size += sizeOfVarint(headers === null ? 0 : headers.length)
  if (headers !== null) {
    for (const header of headers) size += bytesFieldSize(header.key) + bytesFieldSize(header.value)
  }
  return size
}

/**
 * An upper bound of the bytes a record takes in any batch, used for memory accounting and size checks
 * before the batch it joins is known (deltas are bounded by their varint maximums).
 */
export function estimateRecordBytes(record: EncodableRecord): number {
  return estimateRecordFieldsBytes(record.key, record.value, record.headers)
}

/** {@link estimateRecordBytes} from the fields, before a record object exists. */
export function estimateRecordFieldsBytes(
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly EncodedHeader[] | null,
): number {
  // length (5) + attributes (1) + timestamp delta (up to 10) + offset delta (5) are the worst cases.
  let size = 21 + bytesFieldSize(key) + bytesFieldSize(value) + 5
  if (headers !== null) {
    for (const header of headers) size += bytesFieldSize(header.key) + bytesFieldSize(header.value)
  }
  return size
}

/** The producer identity stamped into a batch when it is sent; -1/-1/-1 for non-idempotent producers. */
export interface BatchIdentity {
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  /** Sets the attributes' transactional bit: the batch is part of the producer's open transaction. */
  transactional?: boolean
}

/**
 * Header fields the broker sets when it appends a batch. A producer leaves them at their defaults; tools that
 * write batches as a log holds them (fixtures, a test broker) set them.
 */
export interface BatchPlacement {
  /** Default 0: the broker assigns offsets. */
  baseOffset?: bigint
  /** Default -1. */
  partitionLeaderEpoch?: number
  /** Default `create`: the records keep the producer's timestamps. */
  timestampType?: TimestampType
}

/** Compresses the records section; returns the bytes to put after the header. */
export type RecordsCompressor = (records: Buffer) => Buffer | Promise<Buffer>

export class RecordBatchBuilder {
  private buffer: Buffer
  private position = RECORDS_OFFSET
  private readonly capacityLimit: number
  private count = 0
  private baseTimestamp = 0
  private maxTimestamp = -1
  private sealed: Buffer | null = null
  /** The identity last written into the sealed bytes; a retry with the same one skips the CRC. */
  private stamped: BatchIdentity | null = null

  /**
   * @param targetBytes the batch size beyond which {@link hasRoomFor} says no (at least one record is
   *   always accepted, however large)
   * @param initialBytes the first allocation; the buffer doubles as records arrive, up to what is needed
   */
  constructor(targetBytes: number, initialBytes = Math.min(targetBytes, 1024)) {
    this.capacityLimit = targetBytes
    this.buffer = Buffer.allocUnsafe(Math.max(initialBytes, RECORDS_OFFSET + 64))
  }

  get recordCount(): number {
    return this.count
  }

  /** Bytes allocated for the batch so far (at least {@link sizeBytes}; the buffer grows by doubling). */
  get capacityBytes(): number {
    return this.buffer.length
  }

  /** Bytes the batch takes on the wire if sent uncompressed now. */
  get sizeBytes(): number {
    return this.position
  }

  /** True when appending a record of about `recordBytes` keeps the batch within its target size. */
  hasRoomFor(recordBytes: number): boolean {
    return this.count === 0 || this.position + recordBytes <= this.capacityLimit
  }

  /** Encodes `record` at the end of the batch. Its offset delta is its index in the batch. */
  append(record: EncodableRecord): void {
    if (this.sealed !== null) throw new Error('record batch already sealed')
    const timestamp = record.timestamp
    if (this.count === 0) this.baseTimestamp = timestamp
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    const timestampDelta = timestamp - this.baseTimestamp
    const offsetDelta = this.count
    const body = recordBodyBytes(record, offsetDelta, timestampDelta)
    this.ensure(sizeOfVarint(body) + body)

    const buffer = this.buffer
    let at = writeVarint(buffer, this.position, body)
    buffer[at++] = 0 // record attributes: unused in magic v2
    at = writeVarlong(buffer, at, timestampDelta)
    at = writeVarint(buffer, at, offsetDelta)
    at = this.writeBytesField(at, record.key)
    at = this.writeBytesField(at, record.value)
    const headers = record.headers
    at = writeVarint(buffer, at, headers === null ? 0 : headers.length)
    if (headers !== null) {
      for (const header of headers) {
        at = this.writeBytesField(at, header.key)
        at = this.writeBytesField(at, header.value)
      }
    }
    this.position = at
    this.count++
  }

  /**
   * Ends the batch: no more appends. With a compressor, the records section is compressed once here (the
   * only asynchronous step), so retries re-send the same bytes. Without one it completes synchronously.
   */
  seal(
    compressionCode: number,
    compress?: RecordsCompressor,
    placement: BatchPlacement = {},
  ): void | Promise<void> {
    if (this.sealed !== null) return
    if (compress === undefined || compressionCode === 0) {
      this.finishHeader(this.buffer.subarray(0, this.position), 0, placement)
      return
    }
    return Promise.resolve(compress(this.buffer.subarray(RECORDS_OFFSET, this.position))).then(
      (compressed) => {
        const bytes = Buffer.allocUnsafe(RECORDS_OFFSET + compressed.length)
        compressed.copy(bytes, RECORDS_OFFSET)
        this.finishHeader(bytes, compressionCode, placement)
      },
    )
  }

  private finishHeader(bytes: Buffer, compressionCode: number, placement: BatchPlacement): void {
    bytes.writeBigInt64BE(placement.baseOffset ?? 0n, BASE_OFFSET_OFFSET)
    bytes.writeInt32BE(bytes.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
    bytes.writeInt32BE(
      placement.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      PARTITION_LEADER_EPOCH_OFFSET,
    )
    bytes[MAGIC_OFFSET] = CURRENT_MAGIC
    // The codec bits and the timestamp type; never a control batch; stamp() sets the transactional bit.
    const timestampBit = placement.timestampType === 'log-append' ? TIMESTAMP_TYPE_BIT : 0
    bytes.writeInt16BE((compressionCode & COMPRESSION_MASK) | timestampBit, ATTRIBUTES_OFFSET)
    bytes.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_OFFSET)
    bytes.writeBigInt64BE(BigInt(this.baseTimestamp), BASE_TIMESTAMP_OFFSET)
    bytes.writeBigInt64BE(BigInt(this.maxTimestamp), MAX_TIMESTAMP_OFFSET)
    bytes.writeInt32BE(this.count, RECORD_COUNT_OFFSET)
    this.sealed = bytes
  }

  get isSealed(): boolean {
    return this.sealed !== null
  }

  /**
   * The sealed batch with `identity` written into its header and the CRC computed over the result. The
   * same Buffer is returned each time; stamping again (after an epoch bump) rewrites it in place.
   */
  stamp(identity: BatchIdentity): Buffer {
    const bytes = this.sealed
    if (bytes === null) throw new Error('record batch must be sealed before it is stamped')
    const last = this.stamped
    if (
      last !== null &&
      last.producerId === identity.producerId &&
      last.producerEpoch === identity.producerEpoch &&
      last.baseSequence === identity.baseSequence &&
      last.transactional === identity.transactional
    ) {
      return bytes
    }
    this.stamped = { ...identity }
    const attributes = bytes.readInt16BE(ATTRIBUTES_OFFSET)
    bytes.writeInt16BE(
      identity.transactional === true ? attributes | TRANSACTIONAL_BIT : attributes & ~TRANSACTIONAL_BIT,
      ATTRIBUTES_OFFSET,
    )
    bytes.writeBigInt64BE(identity.producerId, PRODUCER_ID_OFFSET)
    bytes.writeInt16BE(identity.producerEpoch, PRODUCER_EPOCH_OFFSET)
    bytes.writeInt32BE(identity.baseSequence, BASE_SEQUENCE_OFFSET)
    bytes.writeUInt32BE(crc32c(bytes, ATTRIBUTES_OFFSET), CRC_OFFSET)
    return bytes
  }

  /**
   * The records appended so far, read back from the uncompressed bytes (keys, values and headers are views
   * into them, not copies). Used to split a batch the broker rejected as too large; must be called before
   * {@link release}.
   */
  records(): EncodableRecord[] {
    const reader = new Reader(this.buffer, RECORDS_OFFSET, this.position)
    const nullableBytes = (): Buffer | null => {
      const length = reader.varint()
      return length < 0 ? null : reader.raw(length)
    }
    const records: EncodableRecord[] = []
    for (let i = 0; i < this.count; i++) {
      reader.varint() // record length
      reader.int8() // attributes
      const timestamp = this.baseTimestamp + Number(reader.varlong())
      reader.varint() // offset delta: the record's index, given again by the batch it joins
      const key = nullableBytes()
      const value = nullableBytes()
      const headerCount = reader.varint()
      const headers: EncodedHeader[] = []
      for (let h = 0; h < headerCount; h++) {
        const headerKey = nullableBytes() ?? Buffer.alloc(0)
        headers.push({ key: headerKey, value: nullableBytes() })
      }
      records.push({ timestamp, key, value, headers: headerCount === 0 ? null : headers })
    }
    return records
  }

  /** Drops the buffer so memory is released even if something keeps a reference to the builder. */
  release(): void {
    this.buffer = emptyBuffer
    this.sealed = null
  }

  private ensure(bytes: number): void {
    const needed = this.position + bytes
    if (needed <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < needed) capacity *= 2
    // Stay within the target size when the record fits there, so a full batch holds one allocation.
    if (needed <= this.capacityLimit && capacity > this.capacityLimit) capacity = this.capacityLimit
    const next = Buffer.allocUnsafe(capacity)
    this.buffer.copy(next, 0, 0, this.position)
    this.buffer = next
  }

  private writeBytesField(at: number, bytes: Buffer | null): number {
    const buffer = this.buffer
    if (bytes === null) return writeVarint(buffer, at, -1)
    at = writeVarint(buffer, at, bytes.length)
    buffer.set(bytes, at)
    return at + bytes.length
  }
}

const emptyBuffer = Buffer.alloc(0)
