/**
 * External offset storage (Kafka: The Definitive Guide's "store offsets outside Kafka"): the next offset of
 * each partition lives in the same database as the results, written by the same transaction, so either both
 * are there or neither is. `run({ offsetStore })` reads the stored offsets on assignment, seeks to them, and
 * hands every handler the open transaction to write its result in.
 *
 * Zombies are fenced by an epoch per partition: claiming a partition (on assignment) bumps its epoch, and
 * saving offsets succeeds only while the stored epoch is still the claimer's, so an instance that lost a
 * partition without noticing cannot write through it.
 */

import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'

/** A partition's stored state after a claim: its next offset (null if never stored) and the new epoch. */
export interface OffsetClaim extends TopicPartition {
  offset: bigint | null
  epoch: number
}

/** What {@link OffsetStore.save} writes: the next offset of a partition, fenced by the claimer's epoch. */
export interface FencedOffset extends TopicPartitionOffset {
  epoch: number
}

/** Storage for consumer offsets in the caller's own database; `Tx` is its transaction handle. */
export interface OffsetStore<Tx = unknown> {
  /**
   * Claims `partitions` for `groupId`: bumps each one's epoch (fencing whoever held it) and returns the
   * stored next offsets. Runs in a transaction of its own.
   */
  claim(groupId: string, partitions: readonly TopicPartition[]): Promise<OffsetClaim[]>
  /** Reads the stored next offsets without claiming (after an aborted unit). */
  load(groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>>
  /** Opens a transaction the handler writes in. */
  begin(): Promise<Tx>
  /**
   * Stores `offsets` inside `transaction`; rejects with `OffsetStoreFencedError` when a partition's epoch is
   * no longer the given one (another instance claimed it).
   */
  save(transaction: Tx, groupId: string, offsets: readonly FencedOffset[]): Promise<void>
  commit(transaction: Tx): Promise<void>
  rollback(transaction: Tx): Promise<void>
}
