/** A record decoded from a batch. */

import type { RecordHeader } from '../../common/types.ts'
import type { RecordBatchHeader } from './record-batch.ts'

/**
 * A record of a decoded batch. `key`, `value` and header values are views into the fetched (or
 * decompressed) bytes, not copies.
 *
 * `offset` and `timestamp` are computed from the batch on access: decoding stores only the small deltas,
 * which keeps BigInt arithmetic out of the decode loop and off records nobody reads.
 */
export class DecodedRecord {
  /** The batch this record belongs to. */
  readonly batch: RecordBatchHeader
  /** Offset relative to the batch's base offset. */
  readonly offsetDelta: number
  /** Timestamp relative to the batch's base timestamp. */
  readonly timestampDelta: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: RecordHeader[]

  constructor(
    batch: RecordBatchHeader,
    offsetDelta: number,
    timestampDelta: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: RecordHeader[],
  ) {
    this.batch = batch
    this.offsetDelta = offsetDelta
    this.timestampDelta = timestampDelta
    this.key = key
    this.value = value
    this.headers = headers
  }

  /** The record's offset in its partition. */
  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta)
  }

  /** Milliseconds since the epoch: the producer's time, or the broker's append time for log-append topics. */
  get timestamp(): bigint {
    const batch = this.batch
    if (batch.timestampType === 'log-append') return batch.maxTimestamp
    return batch.baseTimestamp + BigInt(this.timestampDelta)
  }
}
