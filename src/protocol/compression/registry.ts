/**
 * The process-wide table of compression codecs.
 *
 * `none` needs no codec and gzip is built in (node:zlib). snappy, lz4 and zstd are plugged in with
 * {@link registerCodec}, so the core client keeps zero runtime dependencies and an application pays only
 * for the codecs it uses.
 */

import { CodecUnavailableError, ConfigError } from '../../common/errors.ts'
import type { CompressionCodec } from './codec.ts'
import type { CompressionType } from './compression-type.ts'
import { createGzipCodec } from './gzip.ts'

/**
 * Default cap on the decompressed size of one batch: 256 MiB. Far above any broker's `message.max.bytes`
 * in practice, yet bounded, so a hostile batch cannot make the client allocate without limit.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

type PluggableCompression = Exclude<CompressionType, 'none'>

const codecs = new Map<PluggableCompression, CompressionCodec>([['gzip', createGzipCodec()]])

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
    throw new CodecUnavailableError(
      type,
      `compression codec ${type} is not supported yet: samsa has gzip built in; ` +
        `install a ${type} codec with registerCodec('${type}', codec), or use compression 'none' or 'gzip'`,
    )
  }
  return codec
}

/** True when a codec for `type` is available (always for `none` and `gzip`). */
export function hasCodec(type: CompressionType): boolean {
  return type === 'none' || codecs.has(type)
}
