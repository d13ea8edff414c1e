/**
 * The idempotent producer's state per partition, as Kafka keeps it: for each producer id the epoch and the
 * last sequence appended, and the last five batches so a retried batch is recognised and answered with the
 * offset it already got instead of being appended twice.
 *
 * The rules follow Kafka's ProducerAppendInfo: an older epoch is refused with INVALID_PRODUCER_EPOCH; a new
 * epoch of a known producer must start at sequence 0; within an epoch each batch must continue the last
 * sequence (wrapping after 2^31-1), else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer the partition never saw is
 * accepted at any sequence (its state may have been lost), as Kafka does.
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { NO_PRODUCER_ID } from '../protocol/records/batch-layout.ts'
import type { IncomingBatch } from './partition-log.ts'

/** How many recent batches per producer are remembered to spot retries (Kafka: 5, the in-flight limit). */
const REMEMBERED_BATCHES = 5

interface RecentBatch {
  readonly firstSequence: number
  readonly lastSequence: number
  readonly baseOffset: bigint
}

interface ProducerEntry {
  epoch: number
  lastSequence: number
  recent: RecentBatch[]
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint }
  | { kind: 'refuse'; errorCode: number; message: string }

export class ProducerSequences {
  readonly #producers = new Map<bigint, ProducerEntry>()

  /** What to do with `batch`: append it, answer it as an earlier duplicate, or refuse it. */
  check(batch: IncomingBatch): SequenceVerdict {
    if (batch.producerId === NO_PRODUCER_ID || batch.baseSequence < 0) return { kind: 'append' }
    const entry = this.#producers.get(batch.producerId)
    if (entry === undefined) return { kind: 'append' }
    if (batch.producerEpoch < entry.epoch) {
      return {
        kind: 'refuse',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `epoch ${batch.producerEpoch} is older than the current epoch ${entry.epoch}`,
      }
    }
    const lastSequence = lastSequenceOf(batch)
    if (batch.producerEpoch === entry.epoch) {
      const earlier = entry.recent.find(
        (r) => r.firstSequence === batch.baseSequence && r.lastSequence === lastSequence,
      )
      if (earlier !== undefined) return { kind: 'duplicate', baseOffset: earlier.baseOffset }
      if (batch.baseSequence !== nextSequence(entry.lastSequence)) {
        return {
          kind: 'refuse',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `sequence ${batch.baseSequence} does not follow ${entry.lastSequence}`,
        }
      }
    } else if (batch.baseSequence !== 0) {
      return {
        kind: 'refuse',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `a new epoch ${batch.producerEpoch} must start at sequence 0, not ${batch.baseSequence}`,
      }
    }
    return { kind: 'append' }
  }

  /** Records an appended batch (after `check` said append). */
  appended(batch: IncomingBatch, baseOffset: bigint): void {
    if (batch.producerId === NO_PRODUCER_ID || batch.baseSequence < 0) return
    let entry = this.#producers.get(batch.producerId)
    if (entry === undefined || entry.epoch !== batch.producerEpoch) {
      entry = { epoch: batch.producerEpoch, lastSequence: -1, recent: [] }
      this.#producers.set(batch.producerId, entry)
    }
    const lastSequence = lastSequenceOf(batch)
    entry.lastSequence = lastSequence
    entry.recent.push({ firstSequence: batch.baseSequence, lastSequence, baseOffset })
    if (entry.recent.length > REMEMBERED_BATCHES) entry.recent.shift()
  }

  /** The epoch a producer id last wrote with on this partition, if it did (a control marker fences older ones). */
  bumpEpoch(producerId: bigint, epoch: number): void {
    const entry = this.#producers.get(producerId)
    if (entry === undefined || entry.epoch < epoch) {
      this.#producers.set(producerId, { epoch, lastSequence: -1, recent: [] })
    }
  }
}

function lastSequenceOf(batch: IncomingBatch): number {
  return (batch.baseSequence + batch.recordCount - 1) % 2 ** 31
}

function nextSequence(sequence: number): number {
  return sequence === 2 ** 31 - 1 ? 0 : sequence + 1
}
