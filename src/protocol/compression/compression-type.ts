/**
 * The compression codecs of the record batch format, and their ids in bits 0-2 of a batch's attributes.
 */

import { CorruptRecordError } from '../../common/errors.ts'

/** A record batch compression codec, by the names Kafka uses for `compression.type`. */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** Every codec, indexed by its attribute id. */
export const COMPRESSION_TYPES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

const ids: Record<CompressionType, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

/** The attribute id (0-4) of a codec. */
export function compressionTypeId(type: CompressionType): number {
  return ids[type]
}

/** The codec of an attribute id; ids 5-7 are unassigned, so a batch using one is corrupt. */
export function compressionTypeFromId(id: number): CompressionType {
  const type = COMPRESSION_TYPES[id]
  if (type === undefined)
    throw new CorruptRecordError(`unknown compression codec id ${id} in batch attributes`)
  return type
}
