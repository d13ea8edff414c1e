/** Compression codecs for record batches. */

export type { CompressionCodec, DecompressLimits } from './codec.ts'
export {
  COMPRESSION_TYPES,
  type CompressionType,
  compressionTypeFromId,
  compressionTypeId,
} from './compression-type.ts'
export { createGzipCodec, type GzipCodecOptions } from './gzip.ts'
export { codecFor, DEFAULT_MAX_DECOMPRESSED_BYTES, hasCodec, registerCodec } from './registry.ts'
