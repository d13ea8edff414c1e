/**
 * Decodes a sequence of magic v2 record batches, such as the records field of a fetch response.
 *
 * The broker cuts a fetch response at its size limit without regard for batch boundaries, so bytes that
 * end inside a batch are normal: that batch is reported as {@link IncompleteBatch} and decoding stops. Any
 * fault inside a batch that did arrive whole (CRC mismatch, lengths that do not add up, an old message
 * format) is a {@link CorruptRecordError} naming the batch's base offset.
 *
 * Nothing is allocated from a length field before that length is checked against the bytes present.
 */

import { CodecUnavailableError } from '../../common/errors.ts'
import { type CompressionType, compressionTypeFromId } from '../compression/compression-type.ts'
import { codecFor, DEFAULT_MAX_DECOMPRESSED_BYTES } from '../compression/registry.ts'
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC_OFFSET,
  CURRENT_MAGIC,
  DELETE_HORIZON_BIT,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
} from './batch-layout.ts'
import { crc32c } from './crc32c.ts'
import type { DecodedRecord } from './record.ts'
import type {
  ControlMarker,
  DecodedRecordBatch,
  RecordBatchesDecodeResult,
  RecordBatchHeader,
} from './record-batch.ts'
import { type BatchLocation, corruptBatch, readRecords } from './records-reader.ts'

/** Options of {@link decodeRecordBatches}. */
export interface DecodeRecordBatchesOptions {
  /** Check each batch's CRC-32C. Default true; turning it off only saves the checksum's cost. */
  verifyCrc?: boolean
  /** Most bytes one compressed batch may inflate to. Default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}. */
  maxDecompressedBytes?: number
  /** Named in errors. */
  topic?: string
  /** Named in errors. */
  partition?: number
}

/** Bytes a batch needs before its magic byte can be read. */
const MAGIC_END = MAGIC_OFFSET + 1

/**
 * Decodes every complete batch in `bytes`. Keys, values and header values are views into `bytes` (or into
 * the decompressed records of a compressed batch). Only compressed batches make this wait.
 *
 * @throws CorruptRecordError for a damaged batch or a magic v0/v1 message set.
 * @throws CodecUnavailableError for a batch compressed with a codec that is not registered.
 */
export async function decodeRecordBatches(
  bytes: Buffer,
  options: DecodeRecordBatchesOptions = {},
): Promise<RecordBatchesDecodeResult> {
  const verifyCrc = options.verifyCrc ?? true
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  const batches: DecodedRecordBatch[] = []
  const total = bytes.length
  let position = 0
  while (position < total) {
    const available = total - position
    if (available < LOG_OVERHEAD) {
      const baseOffset = available >= 8 ? bytes.readBigInt64BE(position) : null
      return {
        batches,
        incomplete: { byteOffset: position, baseOffset, claimedSizeInBytes: null, availableBytes: available },
      }
    }
    const baseOffset = bytes.readBigInt64BE(position)
    const location: BatchLocation = { baseOffset, topic: options.topic, partition: options.partition }
    const batchLength = bytes.readInt32BE(position + BATCH_LENGTH_OFFSET)
    if (batchLength < MAGIC_END - LOG_OVERHEAD) {
      throw corruptBatch(location, `batch length ${batchLength} is too small for any record format`)
    }
    const size = LOG_OVERHEAD + batchLength
    if (size > available) {
      return {
        batches,
        incomplete: { byteOffset: position, baseOffset, claimedSizeInBytes: size, availableBytes: available },
      }
    }
    const end = position + size
    const header = readHeader(bytes, position, end, location, verifyCrc)
    let section = bytes.subarray(position + RECORDS_OFFSET, end)
    if (header.compression !== 'none') {
      section = await decompress(section, header.compression, maxDecompressedBytes, location)
    }
    const records = readRecords(section, header.recordCount, header, location)
    batches.push(toDecodedBatch(header, records, location))
    position = end
  }
  return { batches, incomplete: null }
}

function readHeader(
  bytes: Buffer,
  start: number,
  end: number,
  location: BatchLocation,
  verifyCrc: boolean,
): RecordBatchHeader {
  const magic = bytes.readInt8(start + MAGIC_OFFSET)
  if (magic === 0 || magic === 1) {
    throw corruptBatch(
      location,
      `record format v${magic} (message sets from before Kafka 0.11) is not supported; ` +
        'samsa reads only magic v2 record batches',
    )
  }
  if (magic !== CURRENT_MAGIC) throw corruptBatch(location, `unknown magic byte ${magic}`)
  const size = end - start
  if (size - LOG_OVERHEAD < MIN_BATCH_LENGTH) {
    throw corruptBatch(location, `batch length ${size - LOG_OVERHEAD} is shorter than a v2 batch header`)
  }
  const crc = bytes.readUInt32BE(start + CRC_OFFSET)
  if (verifyCrc) {
    const computed = crc32c(bytes, start + ATTRIBUTES_OFFSET, end)
    if (computed !== crc) {
      throw corruptBatch(location, `CRC mismatch: batch says ${hex(crc)}, its bytes give ${hex(computed)}`)
    }
  }
  const attributes = bytes.readInt16BE(start + ATTRIBUTES_OFFSET)
  let compression: CompressionType
  try {
    compression = compressionTypeFromId(attributes & COMPRESSION_MASK)
  } catch {
    throw corruptBatch(location, `unknown compression codec id ${attributes & COMPRESSION_MASK}`)
  }
  const baseOffset = location.baseOffset
  const lastOffsetDelta = bytes.readInt32BE(start + LAST_OFFSET_DELTA_OFFSET)
  return {
    baseOffset,
    lastOffsetDelta,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    sizeInBytes: size,
    partitionLeaderEpoch: bytes.readInt32BE(start + PARTITION_LEADER_EPOCH_OFFSET),
    magic,
    crc,
    attributes,
    compression,
    timestampType: (attributes & TIMESTAMP_TYPE_BIT) === 0 ? 'create' : 'log-append',
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_BIT) !== 0,
    baseTimestamp: bytes.readBigInt64BE(start + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: bytes.readBigInt64BE(start + MAX_TIMESTAMP_OFFSET),
    producerId: bytes.readBigInt64BE(start + PRODUCER_ID_OFFSET),
    producerEpoch: bytes.readInt16BE(start + PRODUCER_EPOCH_OFFSET),
    baseSequence: bytes.readInt32BE(start + BASE_SEQUENCE_OFFSET),
    recordCount: bytes.readInt32BE(start + RECORD_COUNT_OFFSET),
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`
}

async function decompress(
  section: Buffer,
  compression: Exclude<CompressionType, 'none'>,
  maxOutputBytes: number,
  location: BatchLocation,
): Promise<Buffer> {
  const codec = codecFor(compression)
  let output: Buffer
  try {
    output = await codec.decompress(section, { maxOutputBytes })
  } catch (error) {
    if (error instanceof CodecUnavailableError) throw error
    const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE'
    throw corruptBatch(
      location,
      tooLarge
        ? `${compression} records inflate beyond maxDecompressedBytes (${maxOutputBytes} bytes)`
        : `${compression} records do not decompress: ${(error as Error).message}`,
      error,
    )
  }
  // A registered codec might not honour the limit itself; the records must still not be trusted.
  if (output.length > maxOutputBytes) {
    throw corruptBatch(
      location,
      `${compression} records inflate beyond maxDecompressedBytes (${maxOutputBytes} bytes)`,
    )
  }
  return output
}

/** Control record ids: 0 abort, 1 commit; 2 and above are KRaft's own. */
const ABORT_TYPE_ID = 0
const COMMIT_TYPE_ID = 1

function toDecodedBatch(
  header: RecordBatchHeader,
  records: DecodedRecord[],
  location: BatchLocation,
): DecodedRecordBatch {
  const batch = header as DecodedRecordBatch
  if (!header.isControl) {
    batch.records = records
    batch.control = null
    return batch
  }
  batch.records = []
  batch.control = readControlMarker(records[0], location)
  return batch
}

/** Reads the marker from a control batch's record: key = version int16, type int16; value = version, epoch. */
function readControlMarker(record: DecodedRecord | undefined, location: BatchLocation): ControlMarker {
  // The log cleaner may empty a control batch once its transaction is settled.
  if (record === undefined) return { type: 'other', typeId: -1, coordinatorEpoch: null }
  const key = record.key
  if (key === null || key.length < 4)
    throw corruptBatch(location, 'control record key is shorter than 4 bytes')
  const version = key.readInt16BE(0)
  if (version < 0) throw corruptBatch(location, `control record key has negative version ${version}`)
  const typeId = key.readInt16BE(2)
  if (typeId !== ABORT_TYPE_ID && typeId !== COMMIT_TYPE_ID) {
    return { type: 'other', typeId, coordinatorEpoch: null }
  }
  const value = record.value
  if (value === null || value.length < 6) {
    throw corruptBatch(location, 'transaction marker value is shorter than 6 bytes')
  }
  return {
    type: typeId === ABORT_TYPE_ID ? 'abort' : 'commit',
    typeId,
    coordinatorEpoch: value.readInt32BE(2),
  }
}
