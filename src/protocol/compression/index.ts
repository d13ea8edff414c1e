/** Compression codecs for record batches. */

export type { CompressionCodec, DecompressLimits } from './codec.ts'
export {
  COMPRESSION_TYPES,
  type CompressionType,
  compressionTypeFromId,
  compressionTypeId,
} from './compression-type.ts'
export { createGzipCodec, type GzipCodecOptions } from './gzip.ts'
export { createLz4Codec } from './lz4.ts'
export { codecFor, DEFAULT_MAX_DECOMPRESSED_BYTES, hasCodec, registerCodec } from './registry.ts'
export { createSnappyCodec } from './snappy.ts'
export { createZstdCodec, hasNodeZstd, type ZstdCodecOptions } from './zstd.ts'
