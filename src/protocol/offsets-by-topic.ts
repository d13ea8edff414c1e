/**
 * OffsetCommit, TxnOffsetCommit and OffsetFetch all list partitions grouped under their topic. This is the
 * one place that grouping is done, so the three requests order and fill their entries the same way.
 */

import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'

/** A partition's entry in OffsetCommit and TxnOffsetCommit requests (the two share the layout). */
export interface CommittedPartitionEntry {
  partitionIndex: number
  committedOffset: bigint
  /** -1 when unknown. */
  committedLeaderEpoch: number
  committedMetadata: string
}

/** One topic of an OffsetCommit or TxnOffsetCommit request. */
export interface CommitTopicEntry {
  name: string
  partitions: CommittedPartitionEntry[]
}

/** One topic of an OffsetFetch request. */
export interface FetchTopicEntry {
  name: string
  partitionIndexes: number[]
}

/** `items` grouped by topic, topics in the order first seen and partitions in the order given. */
function groupByTopic<T extends TopicPartition, E>(
  items: Iterable<T>,
  entry: (item: T) => E,
): { name: string; entries: E[] }[] {
  const topics = new Map<string, E[]>()
  for (const item of items) {
    const entries = topics.get(item.topic)
    if (entries === undefined) topics.set(item.topic, [entry(item)])
    else entries.push(entry(item))
  }
  return [...topics].map(([name, entries]) => ({ name, entries }))
}

/** The topics of an OffsetCommit or TxnOffsetCommit request committing `offsets`. */
export function commitTopics(offsets: Iterable<TopicPartitionOffset>): CommitTopicEntry[] {
  return groupByTopic(offsets, (o) => ({
    partitionIndex: o.partition,
    committedOffset: o.offset,
    committedLeaderEpoch: o.leaderEpoch ?? -1,
    committedMetadata: o.metadata ?? '',
  })).map(({ name, entries }) => ({ name, partitions: entries }))
}

/** The topics of an OffsetFetch request for `partitions`; a partition listed twice is asked for once. */
export function fetchTopics(partitions: Iterable<TopicPartition>): FetchTopicEntry[] {
  return groupByTopic(partitions, (tp) => tp.partition).map(({ name, entries }) => ({
    name,
    partitionIndexes: [...new Set(entries)],
  }))
}
