/**
 * The two exactly-once guarantees of `run()`: offsets in an external store, written in the handler's
 * database transaction; or offsets in a Kafka transaction with the handler's output records.
 */

import { ProducerFencedError } from '../common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { Consumer } from '../consumer/consumer.ts'
import type { Producer } from '../producer/producer.ts'
import type { OffsetStore } from './offset-store.ts'
import { OffsetStoreFencedError, type ProcessingGuarantee } from './processing-guarantee.ts'

/** Offsets in the caller's database: claimed (epoch bumped) on assignment, saved in the handler's transaction. */
export class OffsetStoreGuarantee implements ProcessingGuarantee {
  readonly name = 'offset-store'
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
  private readonly producer: Producer
  private readonly consumer: Consumer
  private initialized: Promise<void> | undefined

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

  async execute(
    offsets: readonly TopicPartitionOffset[],
    work: (transaction: unknown) => Promise<void>,
  ): Promise<void> {
    this.initialized ??= this.producer.initTransactions()
    await this.initialized
    this.producer.beginTransaction()
    try {
      await work(this.producer)
      await this.producer.sendOffsetsToTransaction(
        offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
        this.consumer.groupMetadata(),
      )
      await this.producer.commitTransaction()
    } catch (error) {
      if (!this.isFatal(error)) {
        // Aborting also re-initialises after an unknown outcome; the runner then re-reads the committed offsets.
        await this.producer.abortTransaction().catch(() => undefined)
      }
      throw error
    }
  }

  isFatal(error: unknown): boolean {
    return error instanceof ProducerFencedError
  }
}
