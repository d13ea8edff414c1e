/**
 * The transaction coordinator: one producer id per transactional id, whose epoch every InitProducerId bumps
 * (fencing the instance before it).
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'

interface TransactionalProducer {
  readonly producerId: bigint
  epoch: number
  timeoutMs: number
}

export class TransactionCoordinator {
  readonly #byTransactionalId = new Map<string, TransactionalProducer>()
  readonly #allocate: () => bigint

  constructor(allocateProducerId: () => bigint) {
    this.#allocate = allocateProducerId
  }

  initProducer(
    transactionalId: string,
    timeoutMs: number,
  ): { errorCode: number; producerId: bigint; producerEpoch: number } {
    let producer = this.#byTransactionalId.get(transactionalId)
    if (producer === undefined) {
      producer = { producerId: this.#allocate(), epoch: 0, timeoutMs }
      this.#byTransactionalId.set(transactionalId, producer)
    } else {
      producer.epoch += 1
      producer.timeoutMs = timeoutMs
    }
    return { errorCode: ErrorCode.NONE, producerId: producer.producerId, producerEpoch: producer.epoch }
  }
}
