/** GZIP through node:zlib. */

import { promisify } from 'node:util'
import { constants, gunzip, gzip } from 'node:zlib'
import type { CompressionCodec } from './codec.ts'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

/** Options of {@link createGzipCodec}. */
export interface GzipCodecOptions {
  /** zlib level, 1 (fastest) to 9 (smallest); default zlib's own default (6), as the Java client uses. */
  level?: number
}

/** A GZIP codec. zlib's work runs on the libuv thread pool, off the event loop. */
export function createGzipCodec(options: GzipCodecOptions = {}): CompressionCodec {
  const level = options.level ?? constants.Z_DEFAULT_COMPRESSION
  return {
    compress: (data) => gzipAsync(data, { level }),
    // zlib stops inflating once maxOutputLength is reached and fails with ERR_BUFFER_TOO_LARGE.
    decompress: (data, limits) => gunzipAsync(data, { maxOutputLength: limits.maxOutputBytes }),
  }
}
