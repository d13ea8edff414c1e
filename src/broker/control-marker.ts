/**
 * The control batch a transaction coordinator writes into each partition of a transaction when it ends:
 * one control record whose key says COMMIT or ABORT and whose value carries the coordinator epoch, in a
 * batch with the control and transactional bits set and the producer's id and epoch. Consumers see it as a
 * gap of one offset; read_committed ones use it to know where an aborted transaction ends.
 */

import { encodeUncompressedRecordBatch } from '../protocol/records/batch-encoder.ts'
import { ATTRIBUTES_OFFSET, CONTROL_BIT, CRC_OFFSET } from '../protocol/records/batch-layout.ts'
import { crc32c } from '../protocol/records/crc32c.ts'

const ABORT = 0
const COMMIT = 1
const MARKER_VERSION = 0

export function encodeControlBatch(
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  coordinatorEpoch: number,
  timestamp: number,
): Buffer {
  const key = Buffer.alloc(4)
  key.writeInt16BE(MARKER_VERSION, 0)
  key.writeInt16BE(commit ? COMMIT : ABORT, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(MARKER_VERSION, 0)
  value.writeInt32BE(coordinatorEpoch, 2)
  const bytes = encodeUncompressedRecordBatch({
    records: [{ key, value, timestamp: BigInt(timestamp) }],
    producerId,
    producerEpoch,
    transactional: true,
  })
  // The shared encoder builds data batches; the control bit is set here and the CRC (which covers the
  // attributes) computed again.
  bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_OFFSET) | CONTROL_BIT, ATTRIBUTES_OFFSET)
  bytes.writeUInt32BE(crc32c(bytes, ATTRIBUTES_OFFSET, bytes.length), CRC_OFFSET)
  return bytes
}
