/**
 * One partition's share of one fetch response, decoded and ready to be handed out record by record.
 *
 * Filtering happens here, once per batch: control batches (transaction markers) never reach the application,
 * and under `read_committed` neither do batches of aborted transactions. Records before the fetch offset (a
 * fetch may start in the middle of a batch) are skipped too. What remains is handed out in offset order.
 */

import type { RecordHeader } from '../common/types.ts'
import type { DecodedRecordBatch } from '../protocol/records/record-batch.ts'
import type { BufferedFetch } from './fetch-buffer.ts'
import type { ConsumerMessage } from './message.ts'
import type { PartitionState } from './subscription-state.ts'

/** An aborted transaction as a fetch response lists it (read_committed only). */
export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
}

export interface CompletedFetchInit {
  state: PartitionState
  /** `state.generation` when the fetch was sent; a different value now means the data is stale. */
  generation: number
  /** The offset the fetch asked for. */
  fetchOffset: bigint
  /** Complete batches of the response, in order. */
  batches: DecodedRecordBatch[]
  /** The response's aborted transactions, or null/omitted under read_uncommitted. */
  abortedTransactions?: readonly AbortedTransaction[] | null
  readCommitted: boolean
  /** Bytes of record data the response carried for this partition. */
  sizeBytes: number
}

/**
 * The batches a read_committed consumer may see, in order. Walks the batches once, tracking which producers
 * have an aborted transaction open: a producer's aborted transaction starts at its listed first offset and
 * ends at its ABORT marker.
 */
export function committedBatches(
  batches: readonly DecodedRecordBatch[],
  abortedTransactions: readonly AbortedTransaction[] | null | undefined,
): DecodedRecordBatch[] {
  const aborted = [...(abortedTransactions ?? [])].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  )
  const abortedProducers = new Set<bigint>()
  let next = 0
  const visible: DecodedRecordBatch[] = []
  for (const batch of batches) {
    if (batch.isTransactional) {
      while (next < aborted.length && (aborted[next] as AbortedTransaction).firstOffset <= batch.lastOffset) {
        abortedProducers.add((aborted[next] as AbortedTransaction).producerId)
        next++
      }
    }
    if (batch.isControl) {
      // The ABORT marker closes the producer's aborted transaction; its later batches are a new transaction.
      if (batch.control?.type === 'abort') abortedProducers.delete(batch.producerId)
      continue
    }
    if (batch.isTransactional && abortedProducers.has(batch.producerId)) continue
    visible.push(batch)
  }
  return visible
}

export class CompletedFetch implements BufferedFetch {
  readonly key: string
  readonly state: PartitionState
  readonly generation: number
  readonly fetchOffset: bigint
  /** The offset after the last complete batch: where the partition's position goes once this is drained. */
  readonly nextFetchOffset: bigint
  /** Leader epoch of the last complete batch, carried into the position after draining. */
  readonly lastEpoch: number | undefined
  readonly sizeBytes: number
  /** True once the first record was taken (the position was checked against `fetchOffset`). */
  started = false

  private readonly batches: DecodedRecordBatch[]
  private batchIndex = -1
  private batch: DecodedRecordBatch | undefined = undefined
  private recordIndex = 0
  private baseTimestamp = 0
  private maxTimestamp = 0
  private logAppend = false
  private epoch = -1
  /** Offset of the record taken last and its delta, so consecutive records cost one bigint, not two. */
  private lastOffset = -1n
  private lastDelta = -2

  constructor(init: CompletedFetchInit) {
    this.state = init.state
    this.key = init.state.key
    this.generation = init.generation
    this.fetchOffset = init.fetchOffset
    this.sizeBytes = init.sizeBytes
    const last = init.batches[init.batches.length - 1]
    this.nextFetchOffset =
      last === undefined || last.lastOffset < init.fetchOffset ? init.fetchOffset : last.lastOffset + 1n
    this.lastEpoch =
      last === undefined || last.partitionLeaderEpoch < 0 ? undefined : last.partitionLeaderEpoch
    const batches = init.readCommitted
      ? committedBatches(init.batches, init.abortedTransactions)
      : init.batches.filter((batch) => !batch.isControl)
    this.batches = batches.filter((batch) => batch.records.length > 0 && batch.lastOffset >= init.fetchOffset)
    this.advanceBatch()
  }

  /** True when the data still belongs to the partition's current position (no seek, reset or reassignment since). */
  get isCurrent(): boolean {
    return this.generation === this.state.generation
  }

  /** True when every deliverable record has been taken. */
  get isDrained(): boolean {
    return this.batch === undefined
  }

  /** Takes the next record, or undefined when drained. */
  next(): ConsumerMessage | undefined {
    const batch = this.batch
    if (batch === undefined) return undefined
    // advanceBatch() never leaves an index past the end of a batch.
    const record = batch.records[this.recordIndex++]!
    const headers = record.headers
    const logAppend = this.logAppend
    const delta = record.offsetDelta
    const offset = delta === this.lastDelta + 1 ? this.lastOffset + 1n : batch.baseOffset + BigInt(delta)
    this.lastOffset = offset
    this.lastDelta = delta
    const message: ConsumerMessage = {
      topic: this.state.topic,
      partition: this.state.partition,
      offset,
      key: record.key,
      value: record.value,
      // The decoder shares one frozen array among header-less records; the application gets its own.
      headers: headers.length === 0 ? [] : (headers as RecordHeader[]),
      timestamp: logAppend ? this.maxTimestamp : this.baseTimestamp + record.timestampDelta,
      timestampType: logAppend ? 'log-append' : 'create',
      leaderEpoch: this.epoch,
    }
    if (this.recordIndex >= batch.records.length) this.advanceBatch()
    return message
  }

  private advanceBatch(): void {
    this.batchIndex++
    this.recordIndex = 0
    const batch = this.batches[this.batchIndex]
    this.batch = batch
    if (batch === undefined) return
    this.baseTimestamp = Number(batch.baseTimestamp)
    this.maxTimestamp = Number(batch.maxTimestamp)
    this.logAppend = batch.timestampType === 'log-append'
    this.epoch = batch.partitionLeaderEpoch
    this.lastDelta = -2
    if (batch.baseOffset < this.fetchOffset) {
      // The fetch started inside this batch: skip the records the application already has.
      const firstDelta = Number(this.fetchOffset - batch.baseOffset)
      const records = batch.records
      while (this.recordIndex < records.length && records[this.recordIndex]!.offsetDelta < firstDelta) {
        this.recordIndex++
      }
      if (this.recordIndex >= records.length) this.advanceBatch()
    }
  }
}
