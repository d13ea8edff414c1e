/**
 * The handle `producer.transaction(async (tx) => ...)` passes to its callback: the operations that belong
 * inside a transaction, usable only while the callback runs, so a record cannot slip into the next one.
 */

import { IllegalStateError } from '../../common/errors.ts'
import type { ProducerRecord, RecordMetadata } from '../types.ts'
import type { TransactionGroupMetadata, TransactionOffsets } from './types.ts'

/** What a {@link Transaction} needs from its producer. */
export interface TransactionalProducer {
  send(record: ProducerRecord): Promise<RecordMetadata>
  sendBatch(records: readonly ProducerRecord[]): Promise<RecordMetadata[]>
  sendOffsetsToTransaction(offsets: TransactionOffsets, group: TransactionGroupMetadata): Promise<void>
}

export class Transaction {
  private readonly producer: TransactionalProducer
  private open = true

  constructor(producer: TransactionalProducer) {
    this.producer = producer
  }

  /** Sends a record as part of this transaction; see `Producer.send`. */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (!this.open) return Promise.reject(this.ended('send'))
    return this.producer.send(record)
  }

  /** Sends records as part of this transaction; see `Producer.sendBatch`. */
  sendBatch(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (!this.open) return Promise.reject(this.ended('sendBatch'))
    return this.producer.sendBatch(records)
  }

  /**
   * Commits `offsets` (next offsets to read) for the consumer `group` (`consumer.groupMetadata()`) if and
   * only if this transaction commits.
   */
  sendOffsets(offsets: TransactionOffsets, group: TransactionGroupMetadata): Promise<void> {
    if (!this.open) return Promise.reject(this.ended('sendOffsets'))
    return this.producer.sendOffsetsToTransaction(offsets, group)
  }

  /** @internal Called by the producer when the callback has finished. */
  end(): void {
    this.open = false
  }

  private ended(operation: string): IllegalStateError {
    return new IllegalStateError(
      `${operation}() on a transaction whose callback has already returned; use the transaction only inside producer.transaction(...)`,
    )
  }
}
