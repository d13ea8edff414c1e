/**
 * What a transactional producer does with each error: retry the request, let the user abort the
 * transaction and go on, or stop for good.
 *
 * The classification follows the transaction protocol's contract (KIP-98, KIP-360, KIP-890): an error that
 * says another producer now owns the transactional id fences this one for good; an error that only dooms
 * the current transaction leaves the producer usable after `abortTransaction()`.
 */

import {
  CommitFailedError,
  IllegalStateError,
  KafkaError,
  ProducerFencedError,
  TransactionAbortableError,
  TransactionOutcomeUnknownError,
} from '../../common/errors.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'

/** How a failure affects the producer. */
export type FailureKind = 'fenced' | 'fatal' | 'abortable'

/**
 * Codes after which the producer can do nothing more: it was fenced, or its transactional id is unusable
 * (not authorized, or the coordinator's state for it contradicts ours).
 */
const fatalCodes: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_TXN_STATE,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.INVALID_TRANSACTION_TIMEOUT,
  ErrorCode.TRANSACTION_COORDINATOR_FENCED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
])

/** Codes meaning another producer instance with the same transactional id took over. */
function isFencedCode(code: number): boolean {
  return code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.INVALID_PRODUCER_EPOCH
}

/** Whether `error` fences the producer, ends it for another reason, or only dooms the open transaction. */
export function failureKind(error: unknown): FailureKind {
  if (error instanceof ProducerFencedError) return 'fenced'
  if (error instanceof KafkaError) {
    if (isFencedCode(error.code)) return 'fenced'
    if (fatalCodes.has(error.code)) return 'fatal'
  }
  return 'abortable'
}

/** The error a transactional producer reports when the broker says another instance owns its id. */
export function fencedError(transactionalId: string, cause?: unknown): ProducerFencedError {
  return new ProducerFencedError(
    `the producer with transactionalId "${transactionalId}" was fenced: another producer with the same ` +
      'transactionalId called initTransactions() (or the coordinator bumped the epoch past this one). ' +
      'This producer can do nothing more; close it. Its open transaction, if any, is aborted by the coordinator.',
    cause === undefined ? {} : { cause },
  )
}

/**
 * The error for a code in a transactional response, or null for 0: fencing codes become
 * {@link ProducerFencedError}, TRANSACTION_ABORTABLE becomes {@link TransactionAbortableError}, and the rest
 * are Kafka's own error (retriable when Kafka says so).
 */
export function transactionErrorForCode(
  code: number,
  transactionalId: string,
  context: { broker?: string; errorMessage?: string | null; topic?: string; partition?: number } = {},
): KafkaError | null {
  if (code === ErrorCode.NONE) return null
  const error = errorForCode(code, context)!
  if (isFencedCode(code)) return fencedError(transactionalId, error)
  return error
}

/**
 * A TxnOffsetCommit rejection because the consumer is no longer the group member (or generation) whose
 * metadata was passed: the offsets would overwrite another member's progress, so the transaction must abort.
 */
export function isStaleMemberCode(code: number): boolean {
  return (
    code === ErrorCode.UNKNOWN_MEMBER_ID ||
    code === ErrorCode.ILLEGAL_GENERATION ||
    code === ErrorCode.FENCED_INSTANCE_ID
  )
}

/** Wraps a failure that dooms the open transaction, keeping the original as the cause. */
export function abortableError(transactionalId: string, cause: unknown): KafkaError {
  if (
    cause instanceof TransactionAbortableError ||
    cause instanceof CommitFailedError ||
    cause instanceof TransactionOutcomeUnknownError
  )
    return cause
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new TransactionAbortableError(
    `the open transaction of transactionalId "${transactionalId}" cannot commit (${reason}); call ` +
      'abortTransaction(), then begin a new transaction',
    { cause },
  )
}

/** An operation called in a state that does not allow it, with what to do instead. */
export function illegalState(message: string): IllegalStateError {
  return new IllegalStateError(message)
}

/**
 * The error for a transaction whose outcome cannot be known: `what` (an EndTxn, a record) failed with
 * `cause`, a timeout or broken connection after which the request may or may not have taken effect.
 */
export function outcomeUnknownError(
  transactionalId: string,
  what: string,
  cause: unknown,
): TransactionOutcomeUnknownError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new TransactionOutcomeUnknownError(
    `the outcome of the transaction of transactionalId "${transactionalId}" is unknown: ${what} failed ` +
      `(${reason}) and may or may not have taken effect. It is never retried; call abortTransaction(), ` +
      'which re-initialises the producer, then continue from the last committed offsets',
    { cause },
  )
}
