/** Record batches (magic v2): encoding, decoding and their checksum. */

export { type DecodeRecordBatchesOptions, decodeRecordBatches } from './batch-decoder.ts'
export {
  encodeRecordBatch,
  encodeUncompressedRecordBatch,
  type RecordBatchInput,
  type RecordInput,
  type UncompressedRecordBatchInput,
} from './batch-encoder.ts'
export { crc32c } from './crc32c.ts'
export { DecodedRecord } from './record.ts'
export type {
  ControlMarker,
  ControlRecordType,
  DecodedRecordBatch,
  IncompleteBatch,
  RecordBatchesDecodeResult,
  RecordBatchHeader,
  TimestampType,
} from './record-batch.ts'
