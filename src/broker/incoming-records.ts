/**
 * Splits the records of one partition in a Produce request into batches and checks each the way a broker
 * does before appending: a whole v2 batch (magic 2), a declared length inside the bytes sent, and a CRC that
 * matches. A batch failing any check fails the partition with CORRUPT_MESSAGE, and nothing of it is appended.
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MIN_BATCH_LENGTH,
} from '../protocol/records/batch-layout.ts'
import { crc32c } from '../protocol/records/crc32c.ts'
import { describeBatch, type IncomingBatch } from './partition-log.ts'

export type SplitResult =
  | { ok: true; batches: IncomingBatch[] }
  | { ok: false; errorCode: number; message: string }

export function splitIncomingRecords(records: Buffer | null): SplitResult {
  if (records === null || records.length === 0) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      message: 'the partition carries no record batch',
    }
  }
  const batches: IncomingBatch[] = []
  let position = 0
  while (position < records.length) {
    if (records.length - position < LOG_OVERHEAD + MIN_BATCH_LENGTH) {
      return corrupt(`a batch at byte ${position} is truncated`)
    }
    const length = records.readInt32BE(position + BATCH_LENGTH_OFFSET)
    if (length < MIN_BATCH_LENGTH || position + LOG_OVERHEAD + length > records.length) {
      return corrupt(`a batch at byte ${position} declares ${length} bytes, which the request does not hold`)
    }
    const end = position + LOG_OVERHEAD + length
    const bytes = records.subarray(position, end)
    if (bytes.readInt8(MAGIC_OFFSET) !== CURRENT_MAGIC) {
      return corrupt(
        `a batch at byte ${position} has magic ${bytes.readInt8(MAGIC_OFFSET)}; only v2 is accepted`,
      )
    }
    if (bytes.readUInt32BE(CRC_OFFSET) !== crc32c(bytes, ATTRIBUTES_OFFSET, bytes.length)) {
      return corrupt(`a batch at byte ${position} fails its CRC`)
    }
    batches.push(describeBatch(bytes))
    position = end
  }
  return { ok: true, batches }
}

function corrupt(message: string): SplitResult {
  return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, message }
}
