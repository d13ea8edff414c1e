/**
 * Puts samsa's decoded batches in the shape RecordFixtures.java prints, so a test can compare what both
 * clients read from the same bytes with a single deep equality.
 */

import type { DecodedRecordBatch } from '../../src/protocol/records/record-batch.ts'

/** One batch as RecordFixtures.java describes it. */
export interface JavaBatchView {
  baseOffset: string
  lastOffset: string
  sizeInBytes: number
  partitionLeaderEpoch: number
  crc: number
  compression: string
  timestampType: string
  isTransactional: boolean
  isControl: boolean
  maxTimestamp: string
  producerId: string
  producerEpoch: number
  baseSequence: number
  recordCount: number
  control: { type: string; typeId: number; coordinatorEpoch: number | null } | null
  records: Array<{
    offset: string
    timestamp: string
    key: string | null
    value: string | null
    headers: Array<{ key: string; value: string | null }>
  }>
}

/** Parses JSON Lines (one value per non-empty line). */
export function parseJsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T)
}

function base64(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('base64')
}

/** `batch` in the shape of RecordFixtures.java's output. */
export function toJavaView(batch: DecodedRecordBatch): JavaBatchView {
  return {
    baseOffset: String(batch.baseOffset),
    lastOffset: String(batch.lastOffset),
    sizeInBytes: batch.sizeInBytes,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    crc: batch.crc,
    compression: batch.compression,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    maxTimestamp: String(batch.maxTimestamp),
    producerId: String(batch.producerId),
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    recordCount: batch.recordCount,
    control: batch.control,
    records: batch.records.map((record) => ({
      offset: String(record.offset),
      timestamp: String(record.timestamp),
      key: base64(record.key),
      value: base64(record.value),
      headers: record.headers.map((header) => ({ key: header.key, value: base64(header.value) })),
    })),
  }
}
