/** The header fields of a decoded magic v2 batch, which every decoded record points back to. */

import type { CompressionType } from '../compression/compression-type.ts'

/** `create`: the producer's timestamp; `log-append`: the broker's append time (the batch's maxTimestamp). */
export type TimestampType = 'create' | 'log-append'

/** The header of a decoded magic v2 batch. */
export interface RecordBatchHeader {
  /** Offset of the first record the batch was written with. */
  baseOffset: bigint
  lastOffsetDelta: number
  /**
   * `baseOffset + lastOffsetDelta`. After compaction a batch may hold fewer records (even none) than its
   * offset range, so a consumer resumes from `lastOffset + 1`, not from its last record.
   */
  lastOffset: bigint
  /** Bytes the batch takes on the wire, header included. */
  sizeInBytes: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  /** The raw attributes field; the fields below decode it. */
  attributes: number
  compression: CompressionType
  timestampType: TimestampType
  isTransactional: boolean
  /** A control batch carries a transaction marker (or a KRaft control record), never user records. */
  isControl: boolean
  hasDeleteHorizon: boolean
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  /** The record count the header claims. */
  recordCount: number
}
