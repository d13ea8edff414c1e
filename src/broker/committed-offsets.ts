/**
 * Committed offsets per group, topic and partition, with the leader epoch and metadata committed alongside;
 * and the offsets a transaction committed (TxnOffsetCommit) that become visible only when it commits.
 */

export interface CommittedOffset {
  readonly offset: bigint
  readonly leaderEpoch: number
  readonly metadata: string
}

type ByPartition = Map<string, Map<number, CommittedOffset>>

export class CommittedOffsets {
  readonly #groups = new Map<string, ByPartition>()
  /** Pending transactional offsets by producer id, then group. */
  readonly #pending = new Map<bigint, Map<string, ByPartition>>()

  commit(group: string, topic: string, partition: number, committed: CommittedOffset): void {
    put(this.#groups, group, topic, partition, committed)
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#groups.get(group)?.get(topic)?.get(partition)
  }

  /** Every (topic, partition) the group has an offset for. */
  partitions(group: string): { topic: string; partition: number }[] {
    const found: { topic: string; partition: number }[] = []
    for (const [topic, partitions] of this.#groups.get(group) ?? []) {
      for (const partition of partitions.keys()) found.push({ topic, partition })
    }
    return found
  }

  hasGroup(group: string): boolean {
    return (this.#groups.get(group)?.size ?? 0) > 0
  }

  groups(): string[] {
    return [...this.#groups.keys()]
  }

  deleteGroup(group: string): void {
    this.#groups.delete(group)
  }

  deleteTopic(topic: string): void {
    for (const byTopic of this.#groups.values()) byTopic.delete(topic)
  }

  /** Holds an offset committed inside a transaction until that transaction ends. */
  commitPending(
    producerId: bigint,
    group: string,
    topic: string,
    partition: number,
    committed: CommittedOffset,
  ): void {
    let byGroup = this.#pending.get(producerId)
    if (byGroup === undefined) {
      byGroup = new Map()
      this.#pending.set(producerId, byGroup)
    }
    put(byGroup, group, topic, partition, committed)
  }

  /** True if an open transaction holds an offset for the partition (OffsetFetch requireStable waits on it). */
  isPending(group: string, topic: string, partition: number): boolean {
    for (const byGroup of this.#pending.values()) {
      if (byGroup.get(group)?.get(topic)?.has(partition)) return true
    }
    return false
  }

  /** Ends a transaction's offsets: applied when it committed, dropped when it aborted. */
  completePending(producerId: bigint, committed: boolean): void {
    const byGroup = this.#pending.get(producerId)
    this.#pending.delete(producerId)
    if (!committed || byGroup === undefined) return
    for (const [group, byTopic] of byGroup) {
      for (const [topic, partitions] of byTopic) {
        for (const [partition, offset] of partitions) this.commit(group, topic, partition, offset)
      }
    }
  }
}

function put(
  map: Map<string, ByPartition>,
  group: string,
  topic: string,
  partition: number,
  value: CommittedOffset,
): void {
  let byTopic = map.get(group)
  if (byTopic === undefined) {
    byTopic = new Map()
    map.set(group, byTopic)
  }
  let partitions = byTopic.get(topic)
  if (partitions === undefined) {
    partitions = new Map()
    byTopic.set(topic, partitions)
  }
  partitions.set(partition, value)
}
