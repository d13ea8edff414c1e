/** The shape of a record as the consumer hands it to the application. */

import type { RecordHeader } from '../common/types.ts'

/**
 * How a record's `timestamp` was set: by the producer (`create`, the topic's default `CreateTime`) or by the
 * broker when it appended the batch (`log-append`, topic config `message.timestamp.type=LogAppendTime`).
 */
export type TimestampType = 'create' | 'log-append'

/** One consumed record. */
export interface ConsumerMessage {
  topic: string
  partition: number
  /** The record's own offset. The offset to commit after processing it is `offset + 1n`. */
  offset: bigint
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
  /** Milliseconds since the epoch; see {@link timestampType} for who set it. */
  timestamp: number
  timestampType: TimestampType
  /** Leader epoch of the batch the record came in (KIP-320), or -1 if the broker did not set one. */
  leaderEpoch: number
}
