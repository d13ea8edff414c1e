/**
 * What a failed OffsetCommit means for the application. The broker answers per partition; the consumer turns
 * those codes into the few errors an application branches on, each carrying the partitions it concerns.
 */

import { CommitFailedError, type KafkaError, RebalanceInProgressError } from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { errorForCode, errorName } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'

/** Codes that mean "this member no longer owns what it commits": its generation or epoch is gone. */
export const STALE_MEMBER_CODES: ReadonlySet<number> = new Set([
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.FENCED_MEMBER_EPOCH,
  ErrorCode.STALE_MEMBER_EPOCH,
])

/** Codes after which the same commit may succeed against the (possibly new) coordinator. */
export const COORDINATOR_RETRY_CODES: ReadonlySet<number> = new Set([
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
])

function describePartitions(partitions: readonly TopicPartition[]): string {
  const shown = partitions.slice(0, 10).map((tp) => `${tp.topic}-${tp.partition}`)
  const more = partitions.length > shown.length ? ` and ${partitions.length - shown.length} more` : ''
  return shown.join(', ') + more
}

/**
 * The error for the partitions of one commit that failed with `code`. Callers group failed partitions by
 * code first, so one error names every partition that failed the same way.
 */
export function commitErrorFor(
  code: number,
  partitions: TopicPartition[],
  context: { groupId: string; broker?: string },
): KafkaError {
  const where = `group "${context.groupId}", partitions ${describePartitions(partitions)}`
  if (STALE_MEMBER_CODES.has(code)) {
    return new CommitFailedError(
      `commit rejected with ${errorName(code)} for ${where}: this member no longer owns them (it was removed ` +
        'from the group or the group rebalanced without it, e.g. after maxPollIntervalMs passed without a ' +
        'poll). The records after the last successful commit will be read again by their new owner; poll ' +
        'again to rejoin.',
      partitions,
      { broker: context.broker },
    )
  }
  if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
    return new RebalanceInProgressError(
      `commit rejected for ${where}: the group is rebalancing. Poll again to complete the rebalance; ` +
        'partitions this member keeps can be committed afterwards.',
      partitions,
      { broker: context.broker },
    )
  }
  const first = partitions[0]
  const error = errorForCode(code, {
    broker: context.broker,
    topic: partitions.length === 1 ? first?.topic : undefined,
    partition: partitions.length === 1 ? first?.partition : undefined,
    errorMessage: `commit failed for ${where}`,
  })
  // errorForCode returns null only for code 0, which callers never pass.
  return error as KafkaError
}
