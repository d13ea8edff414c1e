/**
 * Offset lookups by time (ListOffsets): the log start (`earliest`), the log end (`latest`) and the first
 * offset whose timestamp is at or after a given time. Used by seekToBeginning/seekToEnd, by autoOffsetReset
 * and by offsetsForTimes.
 *
 * One request goes to each partition's leader. Leadership moves are expected: partitions whose leader
 * answered with a retriable error (or could not be reached) are looked up again after a metadata refresh,
 * until the deadline.
 */

import { ConfigError, KafkaError, TimeoutError } from '../common/errors.ts'
import type { TopicPartition } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { ListOffsets, type ListOffsetsTopic } from '../protocol/messages/list-offsets.ts'
import { type FetchCluster, partitionInfo } from './consumer-cluster.ts'
import type { IsolationLevel } from './consumer-options.ts'

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1n
export const EARLIEST_TIMESTAMP = -2n

/** One partition to look up, at a time in ms, or at {@link LATEST_TIMESTAMP} / {@link EARLIEST_TIMESTAMP}. */
export interface OffsetQuery extends TopicPartition {
  timestamp: bigint
}

/** The broker's answer for one partition. `offset` is -1n when no record has a timestamp at or after the time. */
export interface OffsetAnswer extends TopicPartition {
  offset: bigint
  /** The found record's timestamp for a time query; -1n for earliest/latest. */
  timestamp: bigint
  /** Leader epoch of the found offset, -1 if unknown. */
  leaderEpoch: number
}

/** The outcome of one round: answers, and per-partition failures (retriable or not). */
export interface OffsetLookupRound {
  answers: Map<string, OffsetAnswer>
  failures: Map<string, KafkaError>
}

export interface OffsetLookupOptions {
  isolationLevel: IsolationLevel
}

/**
 * One ListOffsets round: each leader asked once, in parallel. Never throws; failures are per partition.
 * Each partition may appear once in `queries` (a request cannot name a partition twice).
 */
export async function lookupOffsetsOnce(
  cluster: FetchCluster,
  queries: readonly OffsetQuery[],
  options: OffsetLookupOptions,
): Promise<OffsetLookupRound> {
  const answers = new Map<string, OffsetAnswer>()
  const failures = new Map<string, KafkaError>()
  const byLeader = new Map<number, OffsetQuery[]>()
  const snapshot = cluster.currentMetadata
  for (const query of queries) {
    const info = partitionInfo(snapshot, query.topic, query.partition)
    const key = topicPartitionKey(query.topic, query.partition)
    if (info === undefined || info.leaderId < 0) {
      failures.set(key, unknownLeaderError(query, snapshot.topics.has(query.topic)))
      continue
    }
    const list = byLeader.get(info.leaderId)
    if (list === undefined) byLeader.set(info.leaderId, [query])
    else list.push(query)
  }
  await Promise.all(
    [...byLeader].map(async ([leaderId, leaderQueries]) => {
      try {
        await askLeader(cluster, leaderId, leaderQueries, options, answers, failures)
      } catch (error) {
        const failure =
          error instanceof KafkaError ? error : new KafkaError(String(error), -1, { cause: error })
        for (const query of leaderQueries)
          failures.set(topicPartitionKey(query.topic, query.partition), failure)
      }
    }),
  )
  return { answers, failures }
}

async function askLeader(
  cluster: FetchCluster,
  leaderId: number,
  queries: readonly OffsetQuery[],
  options: OffsetLookupOptions,
  answers: Map<string, OffsetAnswer>,
  failures: Map<string, KafkaError>,
): Promise<void> {
  const snapshot = cluster.currentMetadata
  const topics = new Map<string, ListOffsetsTopic>()
  for (const query of queries) {
    let topic = topics.get(query.topic)
    if (topic === undefined) {
      topic = { name: query.topic, partitions: [] }
      topics.set(query.topic, topic)
    }
    topic.partitions.push({
      partitionIndex: query.partition,
      currentLeaderEpoch: partitionInfo(snapshot, query.topic, query.partition)?.leaderEpoch ?? -1,
      timestamp: query.timestamp,
    })
  }
  const connection = await cluster.connectionTo(leaderId)
  const response = await connection.request(ListOffsets, {
    replicaId: -1,
    isolationLevel: options.isolationLevel === 'read_committed' ? 1 : 0,
    topics: [...topics.values()],
    timeoutMs: cluster.options.requestTimeoutMs,
  })
  const pending = new Set(queries.map((q) => topicPartitionKey(q.topic, q.partition)))
  for (const topic of response.topics) {
    for (const partition of topic.partitions) {
      const key = topicPartitionKey(topic.name, partition.partitionIndex)
      if (!pending.delete(key)) continue
      const error = errorForCode(partition.errorCode, {
        topic: topic.name,
        partition: partition.partitionIndex,
        broker: connection.address,
      })
      if (error !== null) {
        failures.set(key, error)
        continue
      }
      answers.set(key, {
        topic: topic.name,
        partition: partition.partitionIndex,
        offset: partition.offset,
        timestamp: partition.timestamp,
        leaderEpoch: partition.leaderEpoch,
      })
    }
  }
  for (const key of pending) {
    failures.set(
      key,
      new KafkaError(`broker ${connection.address} did not answer for partition ${key}`, -1, {
        retriable: true,
      }),
    )
  }
}

function unknownLeaderError(tp: TopicPartition, topicKnown: boolean): KafkaError {
  // UNKNOWN_TOPIC_OR_PARTITION (3) when the topic or partition is missing, LEADER_NOT_AVAILABLE (5) otherwise.
  return errorForCode(topicKnown ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, {
    topic: tp.topic,
    partition: tp.partition,
  }) as KafkaError
}

/**
 * Looks up every query, retrying retriable failures after a metadata refresh until `timeoutMs` passes.
 * Throws the first non-retriable failure, or a TimeoutError naming the partitions still unresolved.
 */
export async function lookupOffsets(
  cluster: FetchCluster,
  queries: readonly OffsetQuery[],
  options: OffsetLookupOptions & { timeoutMs: number; retryBackoffMs: number },
): Promise<Map<string, OffsetAnswer>> {
  const deadline = performance.now() + options.timeoutMs
  const answers = new Map<string, OffsetAnswer>()
  let remaining = [...queries]
  for (;;) {
    const round = await lookupOffsetsOnce(cluster, remaining, options)
    for (const [key, answer] of round.answers) answers.set(key, answer)
    if (round.failures.size === 0) return answers
    for (const failure of round.failures.values()) if (!failure.retriable) throw failure
    remaining = remaining.filter((q) => round.failures.has(topicPartitionKey(q.topic, q.partition)))
    if (performance.now() + options.retryBackoffMs >= deadline) {
      const last = round.failures.values().next().value
      throw new TimeoutError(
        `offset lookup for ${[...round.failures.keys()].join(', ')} did not succeed within ${options.timeoutMs} ms` +
          (last === undefined ? '' : `: ${last.message}`),
        { cause: last },
      )
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryBackoffMs))
    await cluster.refreshMetadata([...new Set(remaining.map((q) => q.topic))]).catch(() => {})
  }
}

/** A partition and a time, for `Consumer.offsetsForTimes`. */
export interface TopicPartitionTimestamp extends TopicPartition {
  /** Milliseconds since the epoch. */
  timestamp: number
}

/** The answer of `Consumer.offsetsForTimes` for one partition. */
export interface OffsetForTime extends TopicPartition {
  /** The first offset whose record timestamp is at or after the time asked; null when there is none. */
  offset: bigint | null
  /** That record's timestamp; null with `offset`. */
  timestamp: number | null
  /** Leader epoch of that record, when the broker reported one. */
  leaderEpoch: number | undefined
}

/**
 * For each query, the first offset whose record timestamp is at or after its time (null when the log has no
 * such record), as the Java client's offsetsForTimes. The partitions need not be assigned; each must exist.
 */
export async function offsetsForTimes(
  cluster: FetchCluster,
  queries: readonly TopicPartitionTimestamp[],
  options: OffsetLookupOptions & { timeoutMs: number; retryBackoffMs: number },
): Promise<OffsetForTime[]> {
  const offsetQueries: OffsetQuery[] = queries.map((q, i) => {
    if (!Number.isSafeInteger(q.timestamp) || q.timestamp < 0) {
      throw new ConfigError(
        `offsetsForTimes[${i}].timestamp`,
        `expected milliseconds since the epoch (an integer >= 0), got ${String(q.timestamp)}`,
      )
    }
    return { topic: q.topic, partition: q.partition, timestamp: BigInt(q.timestamp) }
  })
  await Promise.all(queries.map((q) => cluster.partition(q.topic, q.partition)))
  // One ListOffsets request may name a partition once, so repeated partitions are asked in later waves.
  const waves: OffsetQuery[][] = []
  const seen = new Map<string, number>()
  for (const query of offsetQueries) {
    const key = topicPartitionKey(query.topic, query.partition)
    const wave = seen.get(key) ?? 0
    seen.set(key, wave + 1)
    const members = waves[wave]
    if (members === undefined) waves[wave] = [query]
    else members.push(query)
  }
  const answers = await Promise.all(waves.map((wave) => lookupOffsets(cluster, wave, options)))
  const waveOf = new Map<string, number>()
  return offsetQueries.map(({ topic, partition }) => {
    const key = topicPartitionKey(topic, partition)
    const wave = waveOf.get(key) ?? 0
    waveOf.set(key, wave + 1)
    const answer = answers[wave]?.get(key)
    const found = answer !== undefined && answer.offset >= 0n
    return {
      topic,
      partition,
      offset: found ? answer.offset : null,
      timestamp: found ? Number(answer.timestamp) : null,
      leaderEpoch: found && answer.leaderEpoch >= 0 ? answer.leaderEpoch : undefined,
    }
  })
}
