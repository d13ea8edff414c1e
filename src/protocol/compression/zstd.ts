/** Zstandard through node:zlib, which has it from Node 22.15 and 23.8. */

import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import { CodecUnavailableError } from '../../common/errors.ts'
import type { CompressionCodec } from './codec.ts'
import { outputTooLarge } from './codec-errors.ts'

/** Options of {@link createZstdCodec}. */
export interface ZstdCodecOptions {
  /** Compression level; default zstd's own default (3), as the Java client uses. */
  level?: number
}

/** True when this Node.js has zstd built into node:zlib. */
export function hasNodeZstd(): boolean {
  return typeof (zlib as { zstdCompress?: unknown }).zstdCompress === 'function'
}

/**
 * A zstd codec; its work runs on the libuv thread pool. Throws {@link CodecUnavailableError} on a Node.js
 * without zstd in node:zlib.
 */
export function createZstdCodec(options: ZstdCodecOptions = {}): CompressionCodec {
  if (!hasNodeZstd()) {
    throw new CodecUnavailableError(
      'zstd',
      `compression codec zstd needs Node.js 22.15 or later (this is ${process.version}); ` +
        "upgrade Node.js, or install a zstd codec with registerCodec('zstd', codec)",
    )
  }
  const compress = promisify(zlib.zstdCompress)
  const decompress = promisify(zlib.zstdDecompress)
  const params =
    options.level === undefined ? {} : { [zlib.constants.ZSTD_c_compressionLevel]: options.level }
  return {
    compress: (data) => compress(data, { params }),
    // Like gunzip, zstd stops at maxOutputLength and fails with ERR_BUFFER_TOO_LARGE. Node refuses a limit
    // of 0, so a limit of 0 is checked after the (then at most one byte) output.
    decompress: async (data, limits) => {
      const output = await decompress(data, { maxOutputLength: Math.max(1, limits.maxOutputBytes) })
      if (output.length > limits.maxOutputBytes) throw outputTooLarge('zstd', limits.maxOutputBytes)
      return output
    },
  }
}
