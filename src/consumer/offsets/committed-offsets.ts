/**
 * Reads a group's committed offsets (OffsetFetch).
 *
 * Always with `requireStable` (KIP-447): while a transactional producer has offsets pending for a partition,
 * the coordinator answers UNSTABLE_OFFSET_COMMIT instead of the last stable offset, and the read is retried
 * until the transaction ends. Reading the offset before the transaction's would re-process its records
 * after the transaction commits.
 */

import { KafkaError } from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { topicPartitionKey } from '../../common/types.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { OffsetFetch, type OffsetFetchResponse } from '../../protocol/messages/offset-fetch.ts'
import { fetchTopics } from '../../protocol/offsets-by-topic.ts'
import { versionCaps } from '../../protocol/version-caps.ts'
import type { CoordinatorAccess } from './commit-manager.ts'

/** A committed offset as {@link fetchCommittedOffsets} reports it. */
export interface CommittedOffset extends TopicPartition {
  /** The next offset to read, as committed; null when the group has no commit for the partition. */
  offset: bigint | null
  /** The metadata string committed with it ('' when none was given). */
  metadata: string | null
  /** Leader epoch of the record before `offset`, when the committer knew it (KIP-320). */
  leaderEpoch: number | undefined
}

export interface FetchCommittedOptions {
  /** Give up retrying (unstable offsets, coordinator moves) after this long. */
  timeoutMs: number
  retryBackoffMs: number
}

/**
 * The committed offsets of `partitions` in `groupId`, in the order asked. Partitions without a commit have
 * `offset: null`. Retries while the coordinator is moving or loading, and while offsets are unstable.
 */
export async function fetchCommittedOffsets(
  cluster: CoordinatorAccess,
  groupId: string,
  partitions: readonly TopicPartition[],
  options: FetchCommittedOptions,
): Promise<CommittedOffset[]> {
  if (partitions.length === 0) return []
  const request = {
    groupId,
    topics: fetchTopics(partitions),
    groups: [],
    requireStable: true,
  }
  const deadline = performance.now() + options.timeoutMs
  const response = await cluster.withCoordinator(
    'group',
    groupId,
    async (connection) => {
      const answer = await connection.request(OffsetFetch, request, {
        maxVersion: versionCaps.offsetFetchSingleGroup,
        timeoutMs: Math.max(1, Math.min(options.timeoutMs, deadline - performance.now())),
      })
      throwIfFailed(answer, connection.address, groupId)
      return answer
    },
    {
      retries: Number.MAX_SAFE_INTEGER,
      backoffMs: options.retryBackoffMs,
      isRetriable: (error) => error instanceof KafkaError && error.retriable && performance.now() < deadline,
    },
  )
  const answers = new Map<string, CommittedOffset>()
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      answers.set(topicPartitionKey(topic.name, p.partitionIndex), {
        topic: topic.name,
        partition: p.partitionIndex,
        offset: p.committedOffset >= 0n ? p.committedOffset : null,
        metadata: p.metadata,
        leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : undefined,
      })
    }
  }
  return partitions.map(
    (tp) =>
      answers.get(topicPartitionKey(tp.topic, tp.partition)) ?? {
        topic: tp.topic,
        partition: tp.partition,
        offset: null,
        metadata: null,
        leaderEpoch: undefined,
      },
  )
}

function throwIfFailed(response: OffsetFetchResponse, broker: string, groupId: string): void {
  const groupError = errorForCode(response.errorCode, {
    broker,
    errorMessage: undefined,
  })
  if (groupError !== null) throw groupError
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      if (p.errorCode === ErrorCode.NONE) continue
      if (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT) {
        // A transaction holds offsets for this partition; the answer becomes stable when it ends.
        throw errorForCode(p.errorCode, {
          broker,
          topic: topic.name,
          partition: p.partitionIndex,
          retriable: true,
          errorMessage: `group "${groupId}" has a pending transactional offset commit for this partition`,
        }) as KafkaError
      }
      throw errorForCode(p.errorCode, {
        broker,
        topic: topic.name,
        partition: p.partitionIndex,
      }) as KafkaError
    }
  }
}
