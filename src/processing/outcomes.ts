/**
 * Deciding a message's outcome by throwing, from anywhere in the handler's call stack: the runner catches
 * these and settles the message (or, in `eachBatch`, the batch's unsettled messages) accordingly. Any other
 * exception means "not processed": see {@link RunOptions.retry}.
 */

import { ClientErrorCode, ConfigError, KafkaError } from '../common/errors.ts'

/** Marks the message consumed, as if the handler had returned (and in every `ack` mode, `manual` included). */
export class AckMessage extends Error {
  override name = 'AckMessage'
  constructor() {
    super('the handler acknowledged the message')
  }
}

export interface NackOptions {
  /** Wait this long before the message is delivered again; the partition's later messages wait too. Default 0. */
  delayMs?: number
}

/**
 * Leaves the message unconsumed and delivers it again (the partition seeks back to it), optionally after a
 * delay. Not counted against `retry.attempts`: the handler asked for it.
 */
export class NackMessage extends Error {
  override name = 'NackMessage'
  readonly delayMs: number
  constructor(options: NackOptions = {}) {
    super('the handler asked for the message to be delivered again')
    this.delayMs = validateDelay('NackMessage.delayMs', options.delayMs)
  }
}

/**
 * Gives up on the message: it is marked consumed so the partition moves on, and `reason` is reported to
 * `onRejected` (or logged). Use it for messages that can never succeed, such as ones that do not parse.
 */
export class RejectMessage extends Error {
  override name = 'RejectMessage'
  readonly reason: unknown
  constructor(reason?: unknown) {
    super(`the handler rejected the message${reason === undefined ? '' : `: ${describeReason(reason)}`}`)
    this.reason = reason
  }
}

/**
 * A partition's handler kept failing on one message for `retry.attempts` tries. The partition stays paused
 * at that message (nothing after it is processed or committed) until the run stops; the other partitions go
 * on. Reported to `onError` and listed by `RunHandle.stoppedPartitions()`.
 */
export class PartitionStoppedError extends KafkaError {
  override name = 'PartitionStoppedError'
  /** The offset of the message that kept failing; the committed offset stays at or below it. */
  readonly offset: bigint
  /** How many times the handler was tried with it. */
  readonly attempts: number

  constructor(topic: string, partition: number, offset: bigint, attempts: number, cause: unknown) {
    super(
      `processing of ${topic}-${partition} stopped at offset ${offset}: the handler failed ${attempts} ` +
        `time${attempts === 1 ? '' : 's'} (last error: ${describeReason(cause)}); the partition stays paused ` +
        'there and its later messages are not processed until the consumer restarts',
      ClientErrorCode.state,
      { topic, partition, cause },
    )
    this.offset = offset
    this.attempts = attempts
  }
}

/** A nack delay: a whole number of milliseconds >= 0. */
export function validateDelay(option: string, delayMs: unknown): number {
  if (delayMs === undefined) return 0
  if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > 0x7fffffff) {
    throw new ConfigError(option, `expected an integer number of milliseconds >= 0, got ${String(delayMs)}`)
  }
  return delayMs
}

export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  if (typeof reason === 'string') return reason
  try {
    return JSON.stringify(reason) ?? String(reason)
  } catch {
    return String(reason)
  }
}
