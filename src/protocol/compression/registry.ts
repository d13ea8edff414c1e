/**
 * The process-wide table of compression codecs.
 *
 * `none` needs no codec; gzip and zstd come from node:zlib (zstd from Node.js 22.15), snappy and lz4 are
 * written in TypeScript, so every codec works with zero runtime dependencies. {@link registerCodec} replaces
 * any of them, e.g. with a native binding.
 */

import { CodecUnavailableError, ConfigError } from '../../common/errors.ts'
import type { CompressionCodec } from './codec.ts'
import type { CompressionType } from './compression-type.ts'
import { createGzipCodec } from './gzip.ts'
import { createLz4Codec } from './lz4.ts'
import { createSnappyCodec } from './snappy.ts'
import { createZstdCodec, hasNodeZstd } from './zstd.ts'

/**
 * Default cap on the decompressed size of one batch: 256 MiB. Far above any broker's `message.max.bytes`
 * in practice, yet bounded, so a hostile batch cannot make the client allocate without limit.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

type PluggableCompression = Exclude<CompressionType, 'none'>

const codecs = new Map<PluggableCompression, CompressionCodec>([
  ['gzip', createGzipCodec()],
  ['snappy', createSnappyCodec()],
  ['lz4', createLz4Codec()],
])
if (hasNodeZstd()) codecs.set('zstd', createZstdCodec())

/**
 * Installs (or replaces) the codec used for `type` by every producer and consumer in this process.
 *
 * @example registerCodec('zstd', myZstdCodec)
 */
export function registerCodec(type: PluggableCompression, codec: CompressionCodec): void {
  if (type !== 'gzip' && type !== 'snappy' && type !== 'lz4' && type !== 'zstd') {
    throw new ConfigError('compression', `cannot register a codec for ${JSON.stringify(type)}`)
  }
  if (typeof codec?.compress !== 'function' || typeof codec.decompress !== 'function') {
    throw new ConfigError('compression', `the codec for ${type} must have compress() and decompress()`)
  }
  codecs.set(type, codec)
}

/** The codec for `type`, or a {@link CodecUnavailableError} that says how to get one. */
export function codecFor(type: PluggableCompression): CompressionCodec {
  const codec = codecs.get(type)
  if (codec === undefined) {
    // Only zstd can be missing: node:zlib has it from Node.js 22.15; createZstdCodec says so.
    if (type === 'zstd') return createZstdCodec()
    throw new CodecUnavailableError(
      type,
      `compression codec ${type} is not available: install one with registerCodec('${type}', codec)`,
    )
  }
  return codec
}

/** True when a codec for `type` is available (always, except zstd on a Node.js older than 22.15). */
export function hasCodec(type: CompressionType): boolean {
  return type === 'none' || codecs.has(type)
}
