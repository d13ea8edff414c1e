/**
 * Retrying an operation that failed for a reason that may pass: a leader moved, a coordinator is loading,
 * a connection broke, a request timed out. Errors that will not pass by themselves (bad configuration,
 * authorization, a record too large) are never retried.
 */

import { isRetriable, KafkaError } from '../common/errors.ts'
import { backoffDelay, sleep } from './backoff.ts'

export interface RetryOptions {
  /** Retries after the first attempt; 0 runs the operation once. */
  retries: number
  /** Wait before the first retry; doubles per retry, with jitter. */
  backoffMs: number
  /** Upper bound of the wait. */
  backoffMaxMs: number
  /**
   * Runs after the backoff and before the next attempt, with the error that caused the retry; the place
   * to refresh metadata or forget a coordinator. Errors it throws end the retrying.
   */
  onRetriable?: (error: KafkaError, nextAttempt: number) => void | Promise<void>
  /** Which errors to retry. Default: {@link isRetriable} (KafkaErrors marked retriable). */
  isRetriable?: (error: unknown) => boolean
  /** Aborting stops waiting and rejects with the signal's reason. */
  signal?: AbortSignal
}

/**
 * Runs `operation` (with the 0-based attempt number) until it succeeds, fails with an error that is not
 * retriable, or has failed `retries + 1` times; then rejects with the last error.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const shouldRetry = options.isRetriable ?? isRetriable
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (attempt >= options.retries || !shouldRetry(error)) throw error
      await sleep(backoffDelay(attempt, options.backoffMs, options.backoffMaxMs), options.signal)
      if (options.onRetriable !== undefined && error instanceof KafkaError) {
        await options.onRetriable(error, attempt + 1)
      }
    }
  }
}
