/**
 * Turning the per-topic error codes of admin responses into errors a caller can act on. Admin requests are
 * not atomic across topics: when some topics fail, the others were still created (or deleted), so every
 * failure is reported, and the thrown error is the first failure, typed by its code, naming its topic.
 */

import type { BrokerError } from '../common/errors.ts'
import { errorForCode, errorName } from '../protocol/errors/broker-error.ts'

/** One topic's failure inside a multi-topic admin response. */
export interface TopicFailure {
  topic: string
  code: number
  /** The broker's own explanation, when it sent one. */
  detail: string | null
}

/** The error for one topic's failure; `code` is never 0 here. */
export function topicError(failure: TopicFailure): BrokerError {
  return errorForCode(failure.code, { topic: failure.topic, errorMessage: failure.detail })!
}

/**
 * Throws for the first failure, its message listing the others, or returns when there are none. The error
 * keeps the first failure's code, so `error.code === 36` still identifies "topic already exists".
 */
export function throwTopicFailures(failures: readonly TopicFailure[]): void {
  const [first, ...others] = failures
  if (first === undefined) return
  if (others.length === 0) throw topicError(first)
  const rest = others.map((failure) => `"${failure.topic}" (${errorName(failure.code)})`).join(', ')
  const detail = first.detail === null || first.detail === '' ? errorName(first.code) : first.detail
  throw topicError({ ...first, detail: `${detail}; also failed: ${rest}` })
}
