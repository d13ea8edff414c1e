/** Errors shared by the pure-TypeScript codecs. */

import { CorruptRecordError } from '../../common/errors.ts'

/**
 * The error a codec throws when its output would pass `maxOutputBytes`. It carries Node's own
 * `ERR_BUFFER_TOO_LARGE` code, the one zlib uses for the same condition, so the batch decoder reports every
 * codec's compression bomb the same way.
 */
export function outputTooLarge(codec: string, maxOutputBytes: number): Error {
  const error = new RangeError(`${codec} output would exceed ${maxOutputBytes} bytes`)
  return Object.assign(error, { code: 'ERR_BUFFER_TOO_LARGE' })
}

/** Compressed bytes that break their format's rules. */
export function malformed(codec: string, detail: string): CorruptRecordError {
  return new CorruptRecordError(`malformed ${codec} data: ${detail}`)
}
