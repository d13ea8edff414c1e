/**
 * The two exactly-once guarantees of `run()`: offsets in an external store, written in the handler's
 * database transaction; or offsets in a Kafka transaction with the handler's output records.
 */

import { CommitFailedError, ProducerFencedError } from '../common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { Consumer } from '../consumer/consumer.ts'
import type { Producer } from '../producer/producer.ts'
import type { OffsetStore } from './offset-store.ts'
import { OffsetStoreFencedError, type ProcessingGuarantee } from './processing-guarantee.ts'

/** Offsets in the caller's database: claimed (epoch bumped) on assignment, saved in the handler's transaction. */
export class OffsetStoreGuarantee implements ProcessingGuarantee {
  readonly name = 'offset-store'
  readonly oneTransactionAtATime = false
  private readonly store: OffsetStore
  private readonly groupId: string
  /** The epoch this instance claimed each partition with. */
  private readonly epochs = new Map<string, number>()

  constructor(store: OffsetStore, groupId: string) {
    this.store = store
    this.groupId = groupId
  }

  async positions(partitions: readonly TopicPartition[]): Promise<Map<string, bigint | null>> {
    const unclaimed = partitions.filter((tp) => !this.epochs.has(topicPartitionKey(tp.topic, tp.partition)))
    const positions = new Map<string, bigint | null>()
    if (unclaimed.length > 0) {
      for (const claim of await this.store.claim(this.groupId, unclaimed)) {
        const key = topicPartitionKey(claim.topic, claim.partition)
        this.epochs.set(key, claim.epoch)
        positions.set(key, claim.offset)
      }
    }
    const claimed = partitions.filter((tp) => !positions.has(topicPartitionKey(tp.topic, tp.partition)))
    if (claimed.length > 0) {
      const stored = await this.store.load(this.groupId, claimed)
      for (const tp of claimed) {
        const key = topicPartitionKey(tp.topic, tp.partition)
        positions.set(key, stored.get(key) ?? null)
      }
    }
    return positions
  }

  /** The partitions were revoked or lost: a later assignment claims them again with a new epoch. */
  released(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.epochs.delete(topicPartitionKey(tp.topic, tp.partition))
  }

  async execute(
    offsets: readonly TopicPartitionOffset[],
    work: (transaction: unknown) => Promise<void>,
  ): Promise<void> {
    const fenced = offsets.map((offset) => {
      const epoch = this.epochs.get(topicPartitionKey(offset.topic, offset.partition))
      if (epoch === undefined) {
        throw new OffsetStoreFencedError(
          `partition ${offset.topic}-${offset.partition} is not claimed by this instance (revoked); not processing it`,
          offset,
        )
      }
      return { ...offset, epoch }
    })
    const transaction = await this.store.begin()
    try {
      await work(transaction)
      await this.store.save(transaction, this.groupId, fenced)
      await this.store.commit(transaction)
    } catch (error) {
      await this.store.rollback(transaction).catch(() => undefined)
      throw error
    }
  }

  isFatal(error: unknown): boolean {
    return error instanceof OffsetStoreFencedError
  }
}

/** Offsets and output records in one Kafka transaction of `producer` (KIP-447: fenced by the group generation). */
export class KafkaTransactionGuarantee implements ProcessingGuarantee {
  readonly name = 'kafka-transaction'
  readonly oneTransactionAtATime = true
  private readonly producer: Producer
  private readonly consumer: Consumer
  private initialized: Promise<void> | undefined
  /** The partitions of the transaction now open, and whether the member lost one of them since it began. */
  private open: { keys: Set<string>; lost: boolean } | undefined

  constructor(producer: Producer, consumer: Consumer) {
    this.producer = producer
    this.consumer = consumer
  }

  /** The group's committed offsets (read stable: a transaction still completing is waited for). */
  async positions(partitions: readonly TopicPartition[]): Promise<Map<string, bigint | null>> {
    // Transactions are initialised on the first assignment, which also aborts what a predecessor left open.
    this.initialized ??= this.producer.initTransactions()
    await this.initialized
    const positions = new Map<string, bigint | null>()
    for (const entry of await this.consumer.committed(partitions)) {
      positions.set(topicPartitionKey(entry.topic, entry.partition), entry.offset)
    }
    return positions
  }

  /**
   * The member lost `partitions` (its session expired; another member may already own them): a transaction
   * open on one of them must abort, not commit, even if its handler is still running.
   */
  partitionsLost(partitions: readonly TopicPartition[]): void {
    const open = this.open
    if (open === undefined) return
    if (partitions.some((tp) => open.keys.has(topicPartitionKey(tp.topic, tp.partition)))) open.lost = true
  }

  async execute(
    offsets: readonly TopicPartitionOffset[],
    work: (transaction: unknown) => Promise<void>,
  ): Promise<void> {
    this.initialized ??= this.producer.initTransactions()
    await this.initialized
    // The membership the unit's records were fetched under, read before the handler runs, not at commit: a
    // member that loses its partitions meanwhile resets to generation -1, which the coordinator takes as the
    // pre-KIP-447 form without a generation check, and would accept a zombie's offsets.
    const membership = this.consumer.groupMetadata()
    const open = { keys: new Set(offsets.map((o) => topicPartitionKey(o.topic, o.partition))), lost: false }
    this.open = open
    this.producer.beginTransaction()
    try {
      await work(this.producer)
      this.refuseIfNotOwned(offsets, membership.generationId, open.lost)
      await this.producer.sendOffsetsToTransaction(
        offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
        membership,
      )
      this.refuseIfNotOwned(offsets, membership.generationId, open.lost)
      await this.producer.commitTransaction()
    } catch (error) {
      if (!this.isFatal(error)) await this.abortAfter()
      throw error
    } finally {
      if (this.open === open) this.open = undefined
    }
  }

  isFatal(error: unknown): boolean {
    return error instanceof ProducerFencedError
  }

  /**
   * Aborts after a unit failed. Aborting also re-initialises after an unknown outcome; the runner then re-reads
   * the committed offsets. An abort refused because a successor has fenced this producer meanwhile (a member
   * that learnt it lost its partitions aborts before it ever reaches the commit that would say so) is thrown
   * in place of the unit's error: the member cannot go on, and must not rejoin as if it could.
   */
  private async abortAfter(): Promise<void> {
    try {
      await this.producer.abortTransaction()
    } catch (abortError) {
      if (this.isFatal(abortError)) throw abortError
    }
  }

  private refuseIfNotOwned(
    offsets: readonly TopicPartitionOffset[],
    generationId: number,
    lost: boolean,
  ): void {
    if (!lost && generationId >= 0) return
    const partitions = offsets.map(({ topic, partition }) => ({ topic, partition }))
    throw new CommitFailedError(
      `not committing the transaction for ${partitions.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}: ` +
        'this member lost the partitions (session expired or fenced) while the unit ran; it aborts, and ' +
        "the partitions' next owner processes the records again from the group's committed offsets",
      partitions,
    )
  }
}
