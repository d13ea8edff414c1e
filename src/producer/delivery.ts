/**
 * How the outcome of a batch reaches the callers who sent its records. A batch keeps, per record, a sink and
 * the record's index in that sink instead of a promise per record: `send()` uses a one-record sink, while
 * `sendBatch()` shares one sink (and one promise) between all of its records, whichever batches they end
 * up in.
 */

import type { RecordMetadata } from './types.ts'

export interface DeliverySink {
  /** Record `index` of this sink was written at `offset`. */
  delivered(index: number, topic: string, partition: number, offset: bigint, timestamp: number): void
  /** Record `index` of this sink failed. */
  failed(index: number, error: Error): void
}

/** The sink of one `send()`: settles its promise with the record's metadata. */
export class SingleDelivery implements DeliverySink {
  readonly promise: Promise<RecordMetadata>
  private resolve!: (metadata: RecordMetadata) => void
  private reject!: (error: Error) => void

  constructor() {
    this.promise = new Promise<RecordMetadata>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  delivered(_index: number, topic: string, partition: number, offset: bigint, timestamp: number): void {
    this.resolve({ topic, partition, offset, timestamp })
  }

  failed(_index: number, error: Error): void {
    this.reject(error)
  }
}

/**
 * The sink of one `sendBatch()`: resolves with every record's metadata, in the caller's order, once all
 * are written; rejects with the first failure (the other records still complete or fail on their own).
 */
export class BatchDelivery implements DeliverySink {
  readonly promise: Promise<RecordMetadata[]>
  private readonly results: RecordMetadata[]
  private outstanding: number
  private settled = false
  private resolve!: (metadata: RecordMetadata[]) => void
  private reject!: (error: Error) => void

  constructor(count: number) {
    this.results = new Array<RecordMetadata>(count)
    this.outstanding = count
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    if (count === 0) this.finish()
  }

  delivered(index: number, topic: string, partition: number, offset: bigint, timestamp: number): void {
    this.results[index] = { topic, partition, offset, timestamp }
    if (--this.outstanding === 0) this.finish()
  }

  failed(_index: number, error: Error): void {
    this.outstanding--
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }

  /**
   * Rejects the whole call because some of its records could not be appended at all (buffer full, producer
   * closed, partitioner error). Records appended before that still complete on their own.
   */
  abandon(error: Error): void {
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }

  private finish(): void {
    if (this.settled) return
    this.settled = true
    this.resolve(this.results)
  }
}
