/**
 * What one partition knows of transactions: the first offset of each producer's open transaction (the
 * last stable offset is the lowest of them) and the aborted transactions with the offset range they span,
 * which read_committed fetches list so the consumer can drop their records (Kafka's transaction index).
 */

export interface AbortedRange {
  readonly producerId: bigint
  readonly firstOffset: bigint
  /** Offset of the ABORT marker. */
  readonly lastOffset: bigint
}

export class PartitionTransactions {
  readonly #open = new Map<bigint, bigint>()
  readonly #aborted: AbortedRange[] = []

  /** A transactional data batch was appended at `baseOffset`. */
  appended(producerId: bigint, baseOffset: bigint): void {
    if (!this.#open.has(producerId)) this.#open.set(producerId, baseOffset)
  }

  /** The producer's marker was appended at `markerOffset`; its open transaction (if any here) ends. */
  ended(producerId: bigint, markerOffset: bigint, committed: boolean): void {
    const firstOffset = this.#open.get(producerId)
    this.#open.delete(producerId)
    if (!committed && firstOffset !== undefined) {
      this.#aborted.push({ producerId, firstOffset, lastOffset: markerOffset })
    }
  }

  /** The first offset of the oldest open transaction, or `highWatermark` when none is open. */
  lastStableOffset(highWatermark: bigint): bigint {
    let stable = highWatermark
    for (const first of this.#open.values()) if (first < stable) stable = first
    return stable
  }

  /** The aborted transactions overlapping [from, upTo), as Fetch lists them. */
  abortedBetween(from: bigint, upTo: bigint): AbortedRange[] {
    return this.#aborted.filter((range) => range.lastOffset >= from && range.firstOffset < upTo)
  }
}
