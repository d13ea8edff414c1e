/**
 * Encodes magic v2 record batches, the producer's hot path.
 *
 * Every record is measured first, then the batch is written into a single Buffer allocated at its exact
 * size: no intermediate buffers per record, no growing and copying. A compressed batch costs one more
 * buffer (the compressor's output) and one copy of it behind the header.
 */

import type { RecordHeader } from '../../common/types.ts'
import { type CompressionType, compressionTypeId } from '../compression/compression-type.ts'
import { codecFor } from '../compression/registry.ts'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
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

/** One record to encode. */
export interface RecordInput {
  key: Buffer | null
  value: Buffer | null
  headers?: readonly RecordHeader[]
  /** Milliseconds since the epoch. Must be a safe integer (below 2^53), as every real timestamp is. */
  timestamp: bigint
}

/** A batch to encode, for {@link encodeRecordBatch}. */
export interface RecordBatchInput {
  records: readonly RecordInput[]
  compression: CompressionType
  /** Offset of the first record; the broker overwrites it on append. Default 0. */
  baseOffset?: bigint
  /** Default -1 (no idempotence). */
  producerId?: bigint
  /** Default -1. */
  producerEpoch?: number
  /** Sequence number of the first record, default -1. */
  baseSequence?: number
  /** Marks the batch as part of a transaction. Default false. */
  transactional?: boolean
  /** Default -1; the broker sets it on append. */
  partitionLeaderEpoch?: number
  /** Default `create`. */
  timestampType?: 'create' | 'log-append'
}

/** Input of {@link encodeUncompressedRecordBatch}: a batch without a compression choice. */
export type UncompressedRecordBatchInput = Omit<RecordBatchInput, 'compression'>

/** The measured records section of a batch. */
interface MeasuredRecords {
  /** Size of each record without its own length prefix. */
  bodySizes: Int32Array
  /** Timestamp of each record minus the first record's. */
  timestampDeltas: Float64Array
  baseTimestamp: number
  maxTimestamp: number
  /** Bytes the records section takes, uncompressed. */
  size: number
}

const TIMESTAMP_DELTA_LIMIT = 2 ** 52

function measureRecords(records: readonly RecordInput[]): MeasuredRecords {
  const count = records.length
  if (count === 0) throw new RangeError('a record batch needs at least one record')
  const bodySizes = new Int32Array(count)
  const timestampDeltas = new Float64Array(count)
  const baseTimestamp = toSafeTimestamp(records[0]!.timestamp, 0)
  let maxTimestamp = baseTimestamp
  let size = 0
  for (let i = 0; i < count; i++) {
    const record = records[i]!
    const timestamp = i === 0 ? baseTimestamp : toSafeTimestamp(record.timestamp, i)
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    const timestampDelta = timestamp - baseTimestamp
    if (Math.abs(timestampDelta) >= TIMESTAMP_DELTA_LIMIT) {
      throw new RangeError(`record ${i}: timestamp is more than 2^52 ms away from the first record's`)
    }
    timestampDeltas[i] = timestampDelta

    // attributes (always 0) + timestampDelta + offsetDelta
    let body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(i)
    const { key, value, headers } = record
    body += key === null ? 1 : sizeOfVarint(key.length) + key.length
    body += value === null ? 1 : sizeOfVarint(value.length) + value.length
    const headerCount = headers === undefined ? 0 : headers.length
    body += sizeOfVarint(headerCount)
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!
      const keyBytes = Buffer.byteLength(header.key, 'utf8')
      body += sizeOfVarint(keyBytes) + keyBytes
      const headerValue = header.value
      body += headerValue === null ? 1 : sizeOfVarint(headerValue.length) + headerValue.length
    }
    bodySizes[i] = body
    size += sizeOfVarint(body) + body
  }
  return { bodySizes, timestampDeltas, baseTimestamp, maxTimestamp, size }
}

function toSafeTimestamp(timestamp: bigint, index: number): number {
  const n = Number(timestamp)
  if (typeof timestamp !== 'bigint' || !Number.isSafeInteger(n)) {
    throw new RangeError(`record ${index}: timestamp must be a bigint within ±2^53, got ${String(timestamp)}`)
  }
  return n
}

/** Writes the records section at `position`; returns the position after it. */
function writeRecords(
  buffer: Buffer,
  position: number,
  records: readonly RecordInput[],
  measured: MeasuredRecords,
): number {
  const { bodySizes, timestampDeltas } = measured
  for (let i = 0; i < records.length; i++) {
    const { key, value, headers } = records[i]!
    position = writeVarint(buffer, position, bodySizes[i]!)
    buffer[position++] = 0 // record attributes: unused by every Kafka version so far
    position = writeVarlong(buffer, position, timestampDeltas[i]!)
    position = writeVarint(buffer, position, i)
    position = writeBytes(buffer, position, key)
    position = writeBytes(buffer, position, value)
    const headerCount = headers === undefined ? 0 : headers.length
    position = writeVarint(buffer, position, headerCount)
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!
      const keyBytes = Buffer.byteLength(header.key, 'utf8')
      position = writeVarint(buffer, position, keyBytes)
      position += buffer.write(header.key, position, keyBytes, 'utf8')
      position = writeBytes(buffer, position, header.value)
    }
  }
  return position
}

/** varint length (-1 for null) followed by the bytes. */
function writeBytes(buffer: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) {
    buffer[position] = 1 // zig-zag of -1
    return position + 1
  }
  position = writeVarint(buffer, position, bytes.length)
  buffer.set(bytes, position)
  return position + bytes.length
}

interface BatchHeaderFields {
  baseOffset: bigint
  partitionLeaderEpoch: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

function headerFields(
  input: UncompressedRecordBatchInput,
  compression: CompressionType,
  m: MeasuredRecords,
): BatchHeaderFields {
  const producerEpoch = input.producerEpoch ?? NO_PRODUCER_EPOCH
  const baseSequence = input.baseSequence ?? NO_SEQUENCE
  const partitionLeaderEpoch = input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH
  checkInt('producerEpoch', producerEpoch, -0x8000, 0x7fff)
  checkInt('baseSequence', baseSequence, -0x80000000, 0x7fffffff)
  checkInt('partitionLeaderEpoch', partitionLeaderEpoch, -0x80000000, 0x7fffffff)
  let attributes = compressionTypeId(compression)
  if (input.timestampType === 'log-append') attributes |= TIMESTAMP_TYPE_BIT
  if (input.transactional === true) attributes |= TRANSACTIONAL_BIT
  return {
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch,
    attributes,
    lastOffsetDelta: input.records.length - 1,
    baseTimestamp: m.baseTimestamp,
    maxTimestamp: m.maxTimestamp,
    producerId: input.producerId ?? NO_PRODUCER_ID,
    producerEpoch,
    baseSequence,
    recordCount: input.records.length,
  }
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
}

/** Writes the 61-byte header at 0 and the CRC over everything after it; `buffer` holds the whole batch. */
function writeHeaderAndCrc(buffer: Buffer, f: BatchHeaderFields): void {
  buffer.writeBigInt64BE(f.baseOffset, BASE_OFFSET_OFFSET)
  buffer.writeInt32BE(buffer.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  buffer.writeInt32BE(f.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
  buffer[MAGIC_OFFSET] = CURRENT_MAGIC
  buffer.writeInt16BE(f.attributes, ATTRIBUTES_OFFSET)
  buffer.writeInt32BE(f.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET)
  buffer.writeBigInt64BE(BigInt(f.baseTimestamp), BASE_TIMESTAMP_OFFSET)
  buffer.writeBigInt64BE(BigInt(f.maxTimestamp), MAX_TIMESTAMP_OFFSET)
  buffer.writeBigInt64BE(f.producerId, PRODUCER_ID_OFFSET)
  buffer.writeInt16BE(f.producerEpoch, PRODUCER_EPOCH_OFFSET)
  buffer.writeInt32BE(f.baseSequence, BASE_SEQUENCE_OFFSET)
  buffer.writeInt32BE(f.recordCount, RECORD_COUNT_OFFSET)
  buffer.writeUInt32BE(crc32c(buffer, ATTRIBUTES_OFFSET), CRC_OFFSET)
}

/**
 * Encodes an uncompressed batch synchronously: the fast path of {@link encodeRecordBatch} when
 * `compression` is `none`.
 */
export function encodeUncompressedRecordBatch(input: UncompressedRecordBatchInput): Buffer {
  const measured = measureRecords(input.records)
  const fields = headerFields(input, 'none', measured)
  const buffer = Buffer.allocUnsafe(RECORDS_OFFSET + measured.size)
  writeRecords(buffer, RECORDS_OFFSET, input.records, measured)
  writeHeaderAndCrc(buffer, fields)
  return buffer
}

/**
 * Encodes `input.records` as one magic v2 record batch, ready to be placed in a Produce request.
 * Offset deltas are the records' indexes; the base timestamp is the first record's.
 *
 * @throws CodecUnavailableError when no codec is registered for `input.compression`.
 * @throws RangeError for an empty batch, out-of-range timestamps or header fields.
 */
export async function encodeRecordBatch(input: RecordBatchInput): Promise<Buffer> {
  const { compression } = input
  if (compression === 'none') return encodeUncompressedRecordBatch(input)
  const codec = codecFor(compression)
  const measured = measureRecords(input.records)
  const fields = headerFields(input, compression, measured)
  const uncompressed = Buffer.allocUnsafe(measured.size)
  writeRecords(uncompressed, 0, input.records, measured)
  const compressed = await codec.compress(uncompressed)
  const buffer = Buffer.allocUnsafe(RECORDS_OFFSET + compressed.length)
  compressed.copy(buffer, RECORDS_OFFSET)
  writeHeaderAndCrc(buffer, fields)
  return buffer
}
