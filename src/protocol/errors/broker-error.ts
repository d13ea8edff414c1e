/**
 * Turns Kafka error codes from responses into samsa errors.
 *
 * The specific subclasses from common/errors.ts are built for the codes users are expected to catch by type;
 * every other code becomes a {@link BrokerError} carrying Kafka's own constant name, so logs can be matched
 * against broker logs and the Java client's documentation.
 */

import {
  BrokerError,
  type KafkaErrorContext,
  OffsetOutOfRangeError,
  ProducerFencedError,
  RebalanceInProgressError,
  TransactionAbortableError,
} from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { ErrorCode, type ErrorCodeInfo, errorCodes } from './error-codes.ts'
import { explainErrorCode } from './error-explanations.ts'

const byCode: ReadonlyMap<number, ErrorCodeInfo> = new Map(errorCodes.map((info) => [info.code, info]))

/** What the caller knows about where the error came from, beyond the code itself. */
export interface BrokerErrorContext extends KafkaErrorContext {
  /** The response's own `errorMessage` field, when it has one; preferred over Kafka's generic description. */
  errorMessage?: string | null
  /** For OFFSET_OUT_OF_RANGE: the offset that was out of range. */
  offset?: bigint
  /** For REBALANCE_IN_PROGRESS: the partitions whose commit was rejected. */
  partitions?: TopicPartition[]
}

/** Kafka's constant name for `code` (e.g. `NOT_LEADER_OR_FOLLOWER`), or `UNKNOWN_ERROR_CODE(<code>)`. */
export function errorName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN_ERROR_CODE(${code})`
}

/** Whether Kafka classifies `code` as retriable. Unknown codes are not: retrying blindly could loop forever. */
export function isRetriableCode(code: number): boolean {
  return byCode.get(code)?.retriable ?? false
}

/** Everything known about `code`, or `undefined` for a code this Kafka version does not define. */
export function errorCodeInfo(code: number): ErrorCodeInfo | undefined {
  return byCode.get(code)
}

function describe(code: number, context: BrokerErrorContext): string {
  const name = errorName(code)
  let where = ''
  if (context.topic !== undefined) {
    where += ` for topic "${context.topic}"`
    if (context.partition !== undefined) where += ` partition ${context.partition}`
  } else if (context.partition !== undefined) {
    where += ` for partition ${context.partition}`
  }
  if (context.broker !== undefined) where += ` from broker ${context.broker}`
  const detail =
    context.errorMessage ||
    explainErrorCode(code) ||
    (byCode.has(code)
      ? name.toLowerCase().replaceAll('_', ' ')
      : 'an error code this Kafka version does not define')
  return `${name} (error code ${code})${where}: ${detail}`
}

/**
 * The error for a response's error code, or `null` for 0 (NONE).
 *
 * `context.retriable` overrides Kafka's classification when the caller knows better (e.g. an operation that
 * must not be repeated); the subclasses for fatal conditions are never retriable.
 */
export function errorForCode(code: number, context: BrokerErrorContext = {}): BrokerError | null {
  if (code === ErrorCode.NONE) return null
  const message = describe(code, context)
  const { errorMessage: _errorMessage, offset, partitions, ...base } = context
  switch (code) {
    case ErrorCode.OFFSET_OUT_OF_RANGE:
      return new OffsetOutOfRangeError(message, offset === undefined ? base : { ...base, offset })
    case ErrorCode.REBALANCE_IN_PROGRESS:
      return new RebalanceInProgressError(message, partitions ?? [], base)
    case ErrorCode.PRODUCER_FENCED:
      return new ProducerFencedError(message, base)
    case ErrorCode.TRANSACTION_ABORTABLE:
      return new TransactionAbortableError(message, base)
    default:
      return new BrokerError(message, code, errorName(code), { retriable: isRetriableCode(code), ...base })
  }
}
