/** What a share consumer reports about acknowledgements: per-partition results and their typed errors. */

import { BrokerError, type KafkaError } from '../../common/errors.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'

/**
 * The broker refused the acknowledgement of these records, for example INVALID_RECORD_STATE when a record's
 * acquisition lock expired before the acknowledgement arrived (the record was then already handed out again)
 * or a record was acknowledged twice. `code` and `errorName` are the broker's; `offsets` are the records.
 */
export class AcknowledgementError extends BrokerError {
  override name = 'AcknowledgementError'
  /** The records whose acknowledgement failed, ascending. */
  readonly offsets: readonly bigint[]

  constructor(
    topic: string,
    partition: number,
    offsets: readonly bigint[],
    cause: KafkaError,
    errorName = cause instanceof BrokerError ? cause.errorName : 'CLIENT_ERROR',
  ) {
    super(
      `acknowledging ${describeOffsets(offsets)} of ${topic}-${partition} failed: ${cause.message}`,
      cause.code,
      errorName,
      { topic, partition, broker: cause.broker, cause, retriable: false },
    )
    this.offsets = offsets
  }

  /** The error for a broker error code in an acknowledgement response, or null for NONE. */
  static fromCode(
    topic: string,
    partition: number,
    offsets: readonly bigint[],
    code: number,
    detail: { errorMessage?: string | null; broker?: string },
  ): AcknowledgementError | null {
    const error = errorForCode(code, { ...detail, topic, partition })
    return error === null ? null : new AcknowledgementError(topic, partition, offsets, error)
  }
}

/** The outcome of one partition's acknowledgements in one request. */
export interface AcknowledgementResult {
  topic: string
  partition: number
  /** The acknowledged records, ascending (GAP entries for absent offsets are not listed). */
  offsets: bigint[]
  /** null when the broker applied them all. */
  error: AcknowledgementError | null
}

function describeOffsets(offsets: readonly bigint[]): string {
  if (offsets.length === 1) return `offset ${offsets[0]}`
  if (offsets.length <= 5) return `offsets ${offsets.join(', ')}`
  return `${offsets.length} offsets (${offsets[0]}..${offsets[offsets.length - 1]})`
}
