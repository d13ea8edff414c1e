/**
 * Offsets ready to be committed: the store half of the store-then-commit split (librdkafka's model).
 *
 * With `enableAutoOffsetStore: true` (the default) the consumer stores a message's offset itself once the
 * application has finished with it; with `false`, only `storeOffsets()` does. Either way auto-commit (and
 * `commit()` on close) commits what is stored here and nothing else, so it can never commit ahead of the
 * application.
 */

import type { TopicPartition, TopicPartitionOffset } from '../../common/types.ts'
import { topicPartitionKey } from '../../common/types.ts'

export class OffsetStore {
  private readonly stored = new Map<string, TopicPartitionOffset>()
  /** The offset last handed to a commit per partition, so unchanged partitions are not committed again. */
  private readonly committed = new Map<string, bigint>()

  /** Stores `offset` (the next offset to read) for its partition, replacing what was stored. */
  store(offset: TopicPartitionOffset): void {
    this.stored.set(topicPartitionKey(offset.topic, offset.partition), offset)
  }

  /** The stored offset of `tp`, if any. */
  get(tp: TopicPartition): TopicPartitionOffset | undefined {
    return this.stored.get(topicPartitionKey(tp.topic, tp.partition))
  }

  /**
   * Stored offsets not yet handed to a commit, limited to partitions for which `owned` is true (a partition
   * revoked since its offset was stored is no longer this consumer's to commit).
   */
  uncommitted(owned: (tp: TopicPartition) => boolean): TopicPartitionOffset[] {
    const result: TopicPartitionOffset[] = []
    for (const [key, offset] of this.stored) {
      if (this.committed.get(key) === offset.offset) continue
      if (owned(offset)) result.push(offset)
    }
    return result
  }

  /** Notes that `offsets` were committed (or are being committed), so they are not sent again. */
  markCommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.committed.set(topicPartitionKey(o.topic, o.partition), o.offset)
  }

  /** Notes that a commit of `offsets` failed, so the next auto-commit sends them again. */
  markFailed(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const key = topicPartitionKey(o.topic, o.partition)
      if (this.committed.get(key) === o.offset) this.committed.delete(key)
    }
  }

  /** Drops everything about `partitions` (they were revoked or unassigned). */
  forget(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      this.stored.delete(key)
      this.committed.delete(key)
    }
  }
}
