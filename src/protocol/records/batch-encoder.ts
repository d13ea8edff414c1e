/**
 * Encodes a whole magic v2 record batch in one call, for tests, fixtures and tools. It goes through
 * {@link RecordBatchBuilder}, the producer's encoder, so there is one encoder and whatever is checked here
 * (against the Java client, the broker, the decoder) is checked of the bytes the producer sends.
 */

import type { RecordHeader } from '../../common/types.ts'
import { type CompressionType, compressionTypeId } from '../compression/compression-type.ts'
import { codecFor } from '../compression/registry.ts'
import { type BatchIdentity, type BatchPlacement, RecordBatchBuilder } from './batch-builder.ts'
import { NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE } from './batch-layout.ts'

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

const TIMESTAMP_DELTA_LIMIT = 2 ** 52

function toSafeTimestamp(timestamp: bigint, index: number): number {
  const n = Number(timestamp)
  if (typeof timestamp !== 'bigint' || !Number.isSafeInteger(n)) {
    throw new RangeError(`record ${index}: timestamp must be a bigint within ±2^53, got ${String(timestamp)}`)
  }
  return n
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
}

/** Checks `input`, appends its records to a builder and returns the builder with the placement to seal it with. */
function fill(input: UncompressedRecordBatchInput): {
  builder: RecordBatchBuilder
  placement: BatchPlacement
} {
  const records = input.records
  if (records.length === 0) throw new RangeError('a record batch needs at least one record')
  checkInt('producerEpoch', input.producerEpoch ?? NO_PRODUCER_EPOCH, -0x8000, 0x7fff)
  checkInt('baseSequence', input.baseSequence ?? NO_SEQUENCE, -0x80000000, 0x7fffffff)
  const partitionLeaderEpoch = input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH
  checkInt('partitionLeaderEpoch', partitionLeaderEpoch, -0x80000000, 0x7fffffff)
  const builder = new RecordBatchBuilder(Number.POSITIVE_INFINITY)
  const baseTimestamp = toSafeTimestamp(records[0]!.timestamp, 0)
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    const timestamp = i === 0 ? baseTimestamp : toSafeTimestamp(record.timestamp, i)
    if (Math.abs(timestamp - baseTimestamp) >= TIMESTAMP_DELTA_LIMIT) {
      throw new RangeError(`record ${i}: timestamp is more than 2^52 ms away from the first record's`)
    }
    const headers = record.headers
    builder.append({
      timestamp,
      key: record.key,
      value: record.value,
      headers:
        headers === undefined || headers.length === 0
          ? null
          : headers.map((header) => ({ key: Buffer.from(header.key, 'utf8'), value: header.value })),
    })
  }
  const placement: BatchPlacement = { baseOffset: input.baseOffset ?? 0n, partitionLeaderEpoch }
  if (input.timestampType !== undefined) placement.timestampType = input.timestampType
  return { builder, placement }
}

function identityOf(input: UncompressedRecordBatchInput): BatchIdentity {
  return {
    producerId: input.producerId ?? NO_PRODUCER_ID,
    producerEpoch: input.producerEpoch ?? NO_PRODUCER_EPOCH,
    baseSequence: input.baseSequence ?? NO_SEQUENCE,
    transactional: input.transactional === true,
  }
}

/**
 * Encodes an uncompressed batch synchronously: the fast path of {@link encodeRecordBatch} when
 * `compression` is `none`.
 */
export function encodeUncompressedRecordBatch(input: UncompressedRecordBatchInput): Buffer {
  const { builder, placement } = fill(input)
  builder.seal(0, undefined, placement)
  return builder.stamp(identityOf(input))
}

/**
 * Encodes `input.records` as one magic v2 record batch with the producer's encoder
 * ({@link RecordBatchBuilder}). Offset deltas are the records' indexes; the base timestamp is the first
 * record's.
 *
 * @throws CodecUnavailableError when no codec is registered for `input.compression`.
 * @throws RangeError for an empty batch, out-of-range timestamps or header fields.
 */
export async function encodeRecordBatch(input: RecordBatchInput): Promise<Buffer> {
  const { compression } = input
  if (compression === 'none') return encodeUncompressedRecordBatch(input)
  const codec = codecFor(compression)
  const { builder, placement } = fill(input)
  await builder.seal(compressionTypeId(compression), (records) => codec.compress(records), placement)
  return builder.stamp(identityOf(input))
}
