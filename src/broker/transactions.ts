/**
 * The transaction coordinator, following Kafka's TransactionCoordinator states for one transactional id:
 * Empty, Ongoing, then CompleteCommit or CompleteAbort (the Prepare states pass at once here, as markers are
 * written synchronously). It owns one producer id per transactional id, whose epoch every InitProducerId
 * bumps (fencing the instance before it), the partitions in the open transaction, and its timeout.
 *
 * Transaction version 2 (KIP-890) is chosen per request by its version, as Kafka does: Produce v12+ and
 * TxnOffsetCommit v5+ add their partition or group to the transaction themselves, and EndTxn v5+ bumps the
 * epoch, writes the markers with the new epoch and hands it back. Version 1 clients add partitions with
 * AddPartitionsToTxn first and keep their epoch across transactions.
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'
import type { BrokerClock } from './broker-clock.ts'
import type { CommittedOffsets } from './committed-offsets.ts'
import { encodeControlBatch } from './control-marker.ts'
import { describeBatch } from './partition-log.ts'
import type { PartitionState, TopicStore } from './topic-store.ts'

/** Kafka's `transaction.max.timeout.ms` default: a longer transaction timeout is INVALID_TRANSACTION_TIMEOUT. */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000
/** The coordinator epoch written into markers; one coordinator lives as long as the cluster here. */
const COORDINATOR_EPOCH = 0

export type TransactionStateName = 'Empty' | 'Ongoing' | 'CompleteCommit' | 'CompleteAbort'

export interface TransactionalProducer {
  readonly transactionalId: string
  readonly producerId: bigint
  epoch: number
  timeoutMs: number
  state: TransactionStateName
  readonly partitions: Set<PartitionState>
  startedAt: number
  /** The epoch the last EndTxn v5+ ended with before bumping, so a retry of it is recognised. */
  endedAtEpoch: number | undefined
}

export interface EndResult {
  errorCode: number
  producerId: bigint
  producerEpoch: number
}

export class TransactionCoordinator {
  readonly #byTransactionalId = new Map<string, TransactionalProducer>()
  readonly #byProducerId = new Map<bigint, TransactionalProducer>()
  readonly #allocate: () => bigint
  readonly #clock: BrokerClock
  readonly #topics: TopicStore
  readonly #offsets: CommittedOffsets

  constructor(allocate: () => bigint, clock: BrokerClock, topics: TopicStore, offsets: CommittedOffsets) {
    this.#allocate = allocate
    this.#clock = clock
    this.#topics = topics
    this.#offsets = offsets
  }

  get(transactionalId: string): TransactionalProducer | undefined {
    return this.#byTransactionalId.get(transactionalId)
  }

  byProducerId(producerId: bigint): TransactionalProducer | undefined {
    return this.#byProducerId.get(producerId)
  }

  /** InitProducerId for a transactional id: a new epoch; an open transaction of the old one is aborted. */
  initProducer(transactionalId: string, timeoutMs: number): EndResult {
    if (timeoutMs <= 0 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
      return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT, producerId: -1n, producerEpoch: -1 }
    }
    let producer = this.#byTransactionalId.get(transactionalId)
    if (producer === undefined) {
      producer = {
        transactionalId,
        producerId: this.#allocate(),
        epoch: 0,
        timeoutMs,
        state: 'Empty',
        partitions: new Set(),
        startedAt: 0,
        endedAtEpoch: undefined,
      }
      this.#byTransactionalId.set(transactionalId, producer)
      this.#byProducerId.set(producer.producerId, producer)
    } else {
      producer.epoch += 1
      if (producer.state === 'Ongoing') this.#complete(producer, false, producer.epoch)
      producer.state = 'Empty'
      producer.endedAtEpoch = undefined
      producer.timeoutMs = timeoutMs
    }
    return { errorCode: ErrorCode.NONE, producerId: producer.producerId, producerEpoch: producer.epoch }
  }

  /**
   * Checks that `producerId` at `epoch` is the current instance of `transactionalId` (or, when the id is
   * null, of whichever transactional id owns the producer id): NONE, INVALID_PRODUCER_ID_MAPPING or
   * PRODUCER_FENCED.
   */
  verify(
    transactionalId: string | null,
    producerId: bigint,
    epoch: number,
  ): { errorCode: number; producer?: TransactionalProducer } {
    const producer =
      transactionalId === null
        ? this.#byProducerId.get(producerId)
        : this.#byTransactionalId.get(transactionalId)
    if (producer === undefined || producer.producerId !== producerId) {
      return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING }
    }
    if (epoch !== producer.epoch) return { errorCode: ErrorCode.PRODUCER_FENCED }
    return { errorCode: ErrorCode.NONE, producer }
  }

  /** Opens a transaction if none is: AddPartitionsToTxn, AddOffsetsToTxn and version 2's implicit adds. */
  begin(producer: TransactionalProducer): void {
    if (producer.state === 'Ongoing') return
    producer.state = 'Ongoing'
    producer.partitions.clear()
    producer.startedAt = this.#clock.now()
    producer.endedAtEpoch = undefined
  }

  /** EndTxn, in its version 1 (v0-4) or version 2 (v5+) form. */
  end(
    transactionalId: string,
    producerId: bigint,
    epoch: number,
    commit: boolean,
    version2: boolean,
  ): EndResult {
    const fail = (errorCode: number): EndResult => ({ errorCode, producerId: -1n, producerEpoch: -1 })
    const producer = this.#byTransactionalId.get(transactionalId)
    if (producer === undefined || producer.producerId !== producerId) {
      return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    }
    const completed = commit ? 'CompleteCommit' : 'CompleteAbort'
    const ok = (): EndResult => ({
      errorCode: ErrorCode.NONE,
      producerId: producer.producerId,
      producerEpoch: producer.epoch,
    })
    if (version2) {
      // A retry of an EndTxn whose answer was lost: the epoch was bumped by it, the outcome stands.
      if (producer.endedAtEpoch === epoch && producer.epoch === epoch + 1) {
        return producer.state === completed ? ok() : fail(ErrorCode.INVALID_TXN_STATE)
      }
      if (epoch !== producer.epoch) return fail(ErrorCode.PRODUCER_FENCED)
      if (producer.state !== 'Ongoing' && commit) return fail(ErrorCode.INVALID_TXN_STATE)
      // Version 2 ends even an empty transaction with a new epoch (an abort with nothing written).
      producer.epoch += 1
      this.#complete(producer, commit, producer.epoch)
      producer.endedAtEpoch = epoch
      return ok()
    }
    if (epoch !== producer.epoch) return fail(ErrorCode.PRODUCER_FENCED)
    if (producer.state === completed) return ok()
    if (producer.state !== 'Ongoing') return fail(ErrorCode.INVALID_TXN_STATE)
    this.#complete(producer, commit, producer.epoch)
    return ok()
  }

  /**
   * Aborts transactions open longer than their timeout, with a new epoch (as Kafka does), so the producer
   * that let it time out is fenced.
   */
  expire(): void {
    const now = this.#clock.now()
    for (const producer of this.#byTransactionalId.values()) {
      if (producer.state === 'Ongoing' && now - producer.startedAt > producer.timeoutMs) {
        producer.epoch += 1
        this.#complete(producer, false, producer.epoch)
      }
    }
  }

  /** The open transactions, for DescribeTransactions-like views and tests. */
  all(): TransactionalProducer[] {
    return [...this.#byTransactionalId.values()]
  }

  /** Writes a marker into each partition of the transaction and settles its offsets. */
  #complete(producer: TransactionalProducer, commit: boolean, markerEpoch: number): void {
    const timestamp = this.#clock.now()
    for (const partition of producer.partitions) {
      if (this.#topics.get(partition.topic)?.partitions[partition.index] !== partition) continue
      const marker = describeBatch(
        encodeControlBatch(producer.producerId, markerEpoch, commit, COORDINATOR_EPOCH, timestamp),
      )
      const stored = partition.log.append(marker, partition.leaderEpoch)
      partition.transactions.ended(producer.producerId, stored.baseOffset, commit)
      partition.producers.bumpEpoch(producer.producerId, markerEpoch)
    }
    this.#offsets.completePending(producer.producerId, commit)
    producer.partitions.clear()
    producer.state = commit ? 'CompleteCommit' : 'CompleteAbort'
    this.#topics.notifyAppend()
  }
}
