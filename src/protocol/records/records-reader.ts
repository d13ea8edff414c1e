/**
 * Validates the records section of one batch (after decompression) and indexes its records: the consumer's
 * hot path. Every length is checked here, so a record that decodes can later build its key, value and
 * headers without checks (see {@link DecodedRecord}).
 *
 * Unlike the protocol Reader, failures here are {@link CorruptRecordError}s naming the batch, and varlongs
 * decode to plain numbers: a timestamp delta never comes near 2^53 ms, and refusing one that does keeps
 * BigInt allocation out of the loop.
 */

import { CorruptRecordError, type KafkaErrorContext } from '../../common/errors.ts'
import { DecodedRecord, type RecordFieldPositions } from './record.ts'
import type { RecordBatchHeader } from './record-batch.ts'

/** The smallest possible record: length, attributes, timestamp/offset deltas, key, value, header count. */
const MIN_RECORD_SIZE = 7

/** Identifies the batch in error messages. */
export interface BatchLocation {
  baseOffset: bigint
  topic: string | undefined
  partition: number | undefined
}

/** A CorruptRecordError that names the batch (and its partition, when known). */
export function corruptBatch(location: BatchLocation, problem: string, cause?: unknown): CorruptRecordError {
  const where =
    location.topic === undefined
      ? ''
      : ` of ${location.topic}${location.partition === undefined ? '' : `-${location.partition}`}`
  const context: KafkaErrorContext = {}
  if (location.topic !== undefined) context.topic = location.topic
  if (location.partition !== undefined) context.partition = location.partition
  if (cause !== undefined) context.cause = cause
  return new CorruptRecordError(
    `corrupt record batch at offset ${location.baseOffset}${where}: ${problem}`,
    context,
  )
}

class RecordsCursor {
  readonly buffer: Buffer
  position: number
  readonly end: number
  readonly location: BatchLocation

  constructor(buffer: Buffer, location: BatchLocation) {
    this.buffer = buffer
    this.position = 0
    this.end = buffer.length
    this.location = location
  }

  fail(problem: string): never {
    throw corruptBatch(this.location, problem)
  }

  varint(): number {
    const buffer = this.buffer
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.position >= this.end) this.fail('varint runs past the end of the records')
      const byte = buffer[this.position++]!
      result |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) {
        if (shift === 28 && byte > 0x0f) this.fail('varint is longer than 32 bits')
        return (result >>> 1) ^ -(result & 1)
      }
    }
    return this.fail('varint is longer than 5 bytes')
  }

  varlong(): number {
    const buffer = this.buffer
    let zigZag = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.position >= this.end) this.fail('varlong runs past the end of the records')
      const byte = buffer[this.position++]!
      zigZag += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) {
        if (zigZag > Number.MAX_SAFE_INTEGER) this.fail('timestamp delta is beyond ±2^52 ms')
        return zigZag % 2 === 0 ? zigZag / 2 : -(zigZag + 1) / 2
      }
      scale *= 128
    }
    return this.fail('varlong is longer than 10 bytes')
  }

  /** Reads a varint length (-1 for null) and skips that many bytes, which must end by `end`. */
  skipBytes(what: string, end: number): number {
    const length = this.varint()
    if (length === -1) return -1
    if (length < 0) this.fail(`negative ${what} length ${length}`)
    const start = this.position
    if (length > end - start) this.fail(`${what} of ${length} bytes overruns its record`)
    this.position = start + length
    return length
  }
}

/**
 * Decodes `count` records from `section`, which must hold exactly them. The count is checked against the
 * bytes available before anything is allocated for it.
 */
export function readRecords(
  section: Buffer,
  count: number,
  batch: RecordBatchHeader,
  location: BatchLocation,
): DecodedRecord[] {
  const cursor = new RecordsCursor(section, location)
  if (count < 0) cursor.fail(`negative record count ${count}`)
  if (count > section.length / MIN_RECORD_SIZE) {
    cursor.fail(`${count} records cannot fit in ${section.length} bytes`)
  }
  const records: DecodedRecord[] = []
  // Reused for every record: the record copies the positions into its own fields.
  const fields: RecordFieldPositions = {
    keyStart: 0,
    keyLength: 0,
    valueStart: 0,
    valueLength: 0,
    headersStart: 0,
    headerCount: 0,
  }
  for (let i = 0; i < count; i++) {
    const length = cursor.varint()
    const start = cursor.position
    if (length < MIN_RECORD_SIZE - 1 || length > cursor.end - start) {
      cursor.fail(`record ${i} claims ${length} bytes, ${cursor.end - start} remain`)
    }
    const end = start + length
    cursor.position++ // attributes: no bits defined
    const timestampDelta = cursor.varlong()
    const offsetDelta = cursor.varint()
    fields.keyLength = cursor.skipBytes('key', end)
    fields.keyStart = cursor.position - Math.max(fields.keyLength, 0)
    fields.valueLength = cursor.skipBytes('value', end)
    fields.valueStart = cursor.position - Math.max(fields.valueLength, 0)
    fields.headerCount = cursor.varint()
    fields.headersStart = cursor.position
    if (fields.headerCount !== 0) validateHeaders(cursor, fields.headerCount, end)
    if (cursor.position !== end) {
      cursor.fail(`record ${i} claims ${length} bytes but its fields take ${cursor.position - start}`)
    }
    records.push(new DecodedRecord(batch, offsetDelta, timestampDelta, section, fields))
  }
  if (cursor.position !== cursor.end) {
    cursor.fail(`${cursor.end - cursor.position} bytes follow the ${count} records the header claims`)
  }
  return records
}

/** Walks the headers without building them; {@link DecodedRecord} builds them if they are read. */
function validateHeaders(cursor: RecordsCursor, count: number, end: number): void {
  // Each header needs at least two bytes (key length and value length).
  if (count < 0 || count * 2 > end - cursor.position) cursor.fail(`impossible header count ${count}`)
  for (let h = 0; h < count; h++) {
    if (cursor.skipBytes('header key', end) === -1) cursor.fail('header key is null')
    cursor.skipBytes('header value', end)
  }
}
