/** Errors only the producer throws. */

import { KafkaError } from '../common/errors.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'

/** Kafka's MESSAGE_TOO_LARGE, the code both the client-side check and the broker's rejection carry. */

/**
 * A record (or the batch holding it) is larger than the producer or the broker accepts. Never retried:
 * raise `maxRequestBytes` / `bufferMemoryBytes`, the topic's `max.message.bytes`, or send less.
 */
export class RecordTooLargeError extends KafkaError {
  override name = 'RecordTooLargeError'
  /** Encoded size of the record or batch that was rejected, in bytes. */
  readonly sizeBytes: number
  /** The limit it broke, when known (-1 when the broker did not say). */
  readonly maxBytes: number

  constructor(
    message: string,
    context: { topic: string; partition?: number; sizeBytes: number; maxBytes: number; code?: number },
  ) {
    super(message, context.code ?? ErrorCode.MESSAGE_TOO_LARGE, {
      topic: context.topic,
      ...(context.partition === undefined ? {} : { partition: context.partition }),
      retriable: false,
    })
    this.sizeBytes = context.sizeBytes
    this.maxBytes = context.maxBytes
  }
}
