/**
 * Byte layout of a magic v2 record batch header, and the attribute bits.
 *
 * ```
 *  0 baseOffset int64         27 baseTimestamp int64
 *  8 batchLength int32        35 maxTimestamp int64
 * 12 partitionLeaderEpoch     43 producerId int64
 * 16 magic int8 (= 2)         51 producerEpoch int16
 * 17 crc uint32               53 baseSequence int32
 * 21 attributes int16         57 recordCount int32
 * 23 lastOffsetDelta int32    61 records...
 * ```
 *
 * `batchLength` counts the bytes after itself; the CRC-32C covers everything from `attributes` to the end.
 */

export const BASE_OFFSET_OFFSET = 0
export const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORD_COUNT_OFFSET = 57
export const RECORDS_OFFSET = 61

/** baseOffset + batchLength: the bytes that precede what batchLength counts. */
export const LOG_OVERHEAD = 12
/** The smallest batchLength a v2 batch can have (a header with no records). */
export const MIN_BATCH_LENGTH = RECORDS_OFFSET - LOG_OVERHEAD

export const CURRENT_MAGIC = 2

export const COMPRESSION_MASK = 0x07
export const TIMESTAMP_TYPE_BIT = 0x08
export const TRANSACTIONAL_BIT = 0x10
export const CONTROL_BIT = 0x20
export const DELETE_HORIZON_BIT = 0x40

/** `producerId`, `producerEpoch` and `baseSequence` of a batch written without idempotence. */
export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
/** `partitionLeaderEpoch` before the broker assigns one. */
export const NO_PARTITION_LEADER_EPOCH = -1
