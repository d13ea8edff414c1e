/** What the decoder returns: a batch's header fields, its records, or the transaction marker it carries. */

import type { RecordBatchHeader } from './batch-header.ts'
import type { DecodedRecord } from './record.ts'

export type { RecordBatchHeader, TimestampType } from './batch-header.ts'

/** Kafka's control record types (ControlRecordType), by id. */
export type ControlRecordType = 'abort' | 'commit' | 'other'

/** The control record of a control batch. */
export interface ControlMarker {
  /** `abort` / `commit` end a transaction; `other` covers KRaft's own control records. */
  type: ControlRecordType
  /** Kafka's numeric type id (0 abort, 1 commit, 2+ KRaft records); -1 when the batch was emptied. */
  typeId: number
  /** Epoch of the transaction coordinator that wrote an abort/commit marker, else null. */
  coordinatorEpoch: number | null
}

/** A decoded batch. */
export interface DecodedRecordBatch extends RecordBatchHeader {
  /** The user records; always empty for a control batch, so markers cannot leak to applications. */
  records: DecodedRecord[]
  /** The marker of a control batch, null for a data batch. */
  control: ControlMarker | null
}

/** Where the bytes ended inside a batch. A fetch response cut at its size limit ends like this. */
export interface IncompleteBatch {
  /** Position of the incomplete batch within the decoded bytes. */
  byteOffset: number
  /** Its base offset, when at least 8 bytes of it arrived. */
  baseOffset: bigint | null
  /** The size its header claims (header included), when its length field arrived. */
  claimedSizeInBytes: number | null
  /** The bytes of it that arrived. */
  availableBytes: number
}

/** Result of decoding the records field of a fetch response (or any sequence of batches). */
export interface RecordBatchesDecodeResult {
  /** The complete batches, in order. */
  batches: DecodedRecordBatch[]
  /** The trailing partial batch, if the bytes ended inside one; null when they ended on a batch boundary. */
  incomplete: IncompleteBatch | null
}
