/**
 * The idempotent producer's bookkeeping (KIP-98, with the epoch bump of KIP-360 for non-transactional
 * producers): one producer id and epoch for the session, and per partition the next sequence number to give
 * out and the last one the broker acknowledged.
 *
 * The broker accepts a batch only if its base sequence follows the last one it wrote for this producer and
 * partition, and answers a retried duplicate of one of the last five batches with the original offset. So a
 * batch keeps its sequence across retries, and a partition's batches are sent in sequence order.
 *
 * When a partition's sequences can no longer line up with the broker's (a sequenced batch failed for good,
 * or the broker lost the producer's state), the producer bumps its epoch on the client side: the broker
 * takes a higher epoch starting at sequence 0 as a fresh start. Each partition moves to the new epoch the
 * next time it has nothing in flight, renumbering its queued batches from 0; partitions that were fine keep
 * going and move over as quietly.
 */

import { errorForCode } from '../protocol/errors/broker-error.ts'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/init-producer-id.ts'
import type { ProducerBatch } from './producer-batch.ts'
import type { PartitionQueue } from './record-accumulator.ts'
import { incrementSequence } from './sequence-number.ts'

/** Highest producer epoch (int16); one more bump needs a new producer id. */
const maxEpoch = 0x7fff

interface PartitionSequences {
  producerId: bigint
  producerEpoch: number
  nextSequence: number
  lastAckedSequence: number
}

/** Sends an InitProducerId request to some broker and returns the answer. */
export type InitProducerIdSender = (request: InitProducerIdRequest) => Promise<InitProducerIdResponse>

export class IdempotenceState {
  private currentProducerId = -1n
  private currentEpoch = -1
  private readonly partitions = new Map<string, PartitionSequences>()

  get producerId(): bigint {
    return this.currentProducerId
  }

  get producerEpoch(): number {
    return this.currentEpoch
  }

  /** False until InitProducerId succeeded, and again after the epoch ran out. */
  get hasProducerId(): boolean {
    return this.currentProducerId >= 0n
  }

  /**
   * Obtains a producer id and epoch. The request has no transactional id, which tells the broker to hand
   * out a fresh id; retriable failures are thrown as retriable errors for the caller's retry loop.
   */
  async initialize(send: InitProducerIdSender): Promise<void> {
    const response = await send({
      transactionalId: null,
      transactionTimeoutMs: 0x7fffffff,
      producerId: -1n,
      producerEpoch: -1,
      enable2Pc: false,
      keepPreparedTxn: false,
    })
    const error = errorForCode(response.errorCode)
    if (error !== null) throw error
    this.currentProducerId = response.producerId
    this.currentEpoch = response.producerEpoch
  }

  /**
   * Takes a producer id and epoch obtained elsewhere: by a transactional producer's `initTransactions()`, or
   * from an EndTxn answer that bumped the epoch (transaction version 2). Each partition restarts its
   * sequences at 0 the next time it sends, as after an epoch bump.
   */
  assign(producerId: bigint, producerEpoch: number): void {
    this.currentProducerId = producerId
    this.currentEpoch = producerEpoch
  }

  /**
   * Moves to the next epoch so sequences can restart at 0. At the last epoch the producer id is dropped
   * instead, and the sender obtains a new one before sending again.
   */
  bumpEpoch(): void {
    if (!this.hasProducerId) return
    if (this.currentEpoch >= maxEpoch) {
      this.currentProducerId = -1n
      this.currentEpoch = -1
    } else {
      this.currentEpoch++
    }
  }

  /**
   * Stamps the head batch of `queue` with its sequence before it is sent. Returns false when the partition
   * must first let its in-flight batches come back (it is moving to a new epoch, and the batches numbered
   * under the old one must finish first).
   */
  prepare(queue: PartitionQueue, batch: ProducerBatch): boolean {
    let state = this.partitions.get(queue.key)
    if (state === undefined) {
      state = {
        producerId: this.currentProducerId,
        producerEpoch: this.currentEpoch,
        nextSequence: 0,
        lastAckedSequence: -1,
      }
      this.partitions.set(queue.key, state)
    }
    if (state.producerId !== this.currentProducerId || state.producerEpoch !== this.currentEpoch) {
      if (queue.inFlight > 0) return false
      state.producerId = this.currentProducerId
      state.producerEpoch = this.currentEpoch
      state.nextSequence = 0
      state.lastAckedSequence = -1
      // Queued retries were numbered under the old epoch; they are renumbered as they go out.
      for (const queued of queue.batches) queued.baseSequence = -1
      batch.baseSequence = -1
    }
    if (batch.baseSequence < 0) {
      batch.baseSequence = state.nextSequence
      state.nextSequence = incrementSequence(state.nextSequence, batch.recordCount)
    }
    batch.producerEpoch = this.currentEpoch
    return true
  }

  /** Records that the broker wrote `batch`. */
  acknowledged(batch: ProducerBatch, key: string): void {
    const state = this.partitions.get(key)
    if (state === undefined || state.producerEpoch !== batch.producerEpoch || batch.baseSequence < 0) return
    state.lastAckedSequence = incrementSequence(batch.baseSequence, batch.recordCount - 1)
  }

  /**
   * True once the broker acknowledged a batch of this partition under the current producer id and epoch. Until
   * then the broker holds no sequence state for us there and accepts any first sequence, so a later batch
   * pipelined past a failed first one would be written ahead of it: the sender keeps one batch in flight per
   * partition until this is true.
   */
  hasAcknowledged(key: string): boolean {
    const state = this.partitions.get(key)
    return (
      state !== undefined &&
      state.producerId === this.currentProducerId &&
      state.producerEpoch === this.currentEpoch &&
      state.lastAckedSequence >= 0
    )
  }

  /**
   * True when the broker already acknowledged sequences past `batch`'s under the batch's epoch: the batch can
   * never be accepted under that epoch again, and only renumbering under a new epoch gets it written.
   */
  isBehindAcknowledged(batch: ProducerBatch, key: string): boolean {
    const state = this.partitions.get(key)
    if (state === undefined || state.producerEpoch !== batch.producerEpoch || state.lastAckedSequence < 0) {
      return false
    }
    return batch.baseSequence >= 0 && batch.baseSequence <= state.lastAckedSequence
  }

  /**
   * True when `batch` is the partition's oldest unacknowledged batch: if the broker rejects *its* sequence,
   * the broker's state and ours disagree; for any later batch the rejection just reflects an earlier failure.
   */
  isNextToAcknowledge(batch: ProducerBatch, key: string): boolean {
    const state = this.partitions.get(key)
    if (state === undefined || state.producerEpoch !== batch.producerEpoch) return false
    return batch.baseSequence === incrementSequence(state.lastAckedSequence, 1)
  }
}
