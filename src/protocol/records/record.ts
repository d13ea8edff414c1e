/** A record decoded from a batch. */

import type { RecordHeader } from '../../common/types.ts'
import type { RecordBatchHeader } from './batch-header.ts'

/** Where a record's fields lie in the bytes it was decoded from; lengths of -1 mean null. */
export interface RecordFieldPositions {
  keyStart: number
  keyLength: number
  valueStart: number
  valueLength: number
  headersStart: number
  headerCount: number
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([])

/**
 * A record of a decoded batch.
 *
 * The decoder validates every field but materialises nothing: the record keeps positions into the fetched
 * (or decompressed) bytes, and `key`, `value` and `headers` are built on first access as views into those
 * bytes, never copies. `offset` and `timestamp` are likewise computed from the batch when read. A fetch
 * decodes thousands of records at once, so allocating only what the application touches keeps the garbage
 * collector out of the consumer's hot path.
 */
export class DecodedRecord {
  /** The batch this record belongs to. */
  readonly batch: RecordBatchHeader
  /** Offset relative to the batch's base offset. */
  readonly offsetDelta: number
  /** Timestamp relative to the batch's base timestamp. */
  readonly timestampDelta: number
  readonly #source: Buffer
  readonly #keyStart: number
  readonly #keyLength: number
  readonly #valueStart: number
  readonly #valueLength: number
  readonly #headersStart: number
  readonly #headerCount: number
  #key: Buffer | null | undefined
  #value: Buffer | null | undefined
  #headers: readonly RecordHeader[] | undefined

  constructor(
    batch: RecordBatchHeader,
    offsetDelta: number,
    timestampDelta: number,
    source: Buffer,
    fields: RecordFieldPositions,
  ) {
    this.batch = batch
    this.offsetDelta = offsetDelta
    this.timestampDelta = timestampDelta
    this.#source = source
    this.#keyStart = fields.keyStart
    this.#keyLength = fields.keyLength
    this.#valueStart = fields.valueStart
    this.#valueLength = fields.valueLength
    this.#headersStart = fields.headersStart
    this.#headerCount = fields.headerCount
  }

  /** The record's offset in its partition. */
  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta)
  }

  /** Milliseconds since the epoch: the producer's time, or the broker's append time for log-append topics. */
  get timestamp(): bigint {
    const batch = this.batch
    if (batch.timestampType === 'log-append') return batch.maxTimestamp
    return batch.baseTimestamp + BigInt(this.timestampDelta)
  }

  get key(): Buffer | null {
    if (this.#key === undefined) this.#key = view(this.#source, this.#keyStart, this.#keyLength)
    return this.#key
  }

  get value(): Buffer | null {
    if (this.#value === undefined) this.#value = view(this.#source, this.#valueStart, this.#valueLength)
    return this.#value
  }

  /** Headers in wire order; keys may repeat. */
  get headers(): readonly RecordHeader[] {
    if (this.#headers === undefined) {
      this.#headers =
        this.#headerCount === 0
          ? NO_HEADERS
          : readValidatedHeaders(this.#source, this.#headersStart, this.#headerCount)
    }
    return this.#headers
  }
}

function view(source: Buffer, start: number, length: number): Buffer | null {
  return length < 0 ? null : source.subarray(start, start + length)
}

/** Re-reads headers the decoder has already validated, so no bounds checks are repeated here. */
function readValidatedHeaders(source: Buffer, position: number, count: number): RecordHeader[] {
  const headers: RecordHeader[] = []
  const cursor = { position }
  for (let h = 0; h < count; h++) {
    const keyLength = readVarint(source, cursor)
    const key = source.toString('utf8', cursor.position, cursor.position + keyLength)
    cursor.position += keyLength
    const valueLength = readVarint(source, cursor)
    const value = view(source, cursor.position, valueLength)
    if (valueLength > 0) cursor.position += valueLength
    headers.push({ key, value })
  }
  return headers
}

function readVarint(source: Buffer, cursor: { position: number }): number {
  let result = 0
  let shift = 0
  let byte: number
  do {
    byte = source[cursor.position++]!
    result |= (byte & 0x7f) << shift
    shift += 7
  } while (byte & 0x80)
  return (result >>> 1) ^ -(result & 1)
}
