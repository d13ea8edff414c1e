/** How `samsa consume` prints a record: its value alone, or one JSON object per line. */

import type { RecordHeader } from '../../common/types.ts'

/** The parts of a consumed message the printer needs. */
export interface PrintableMessage {
  topic: string
  partition: number
  offset: bigint
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** How bytes appear in JSON output: UTF-8 text (lossy for binary data) or base64 (exact). */
export type BytesEncoding = 'utf8' | 'base64'

export const bytesEncodings: readonly BytesEncoding[] = ['utf8', 'base64']

function encode(bytes: Buffer | null, encoding: BytesEncoding): string | null {
  return bytes === null ? null : bytes.toString(encoding)
}

/** The value's bytes followed by a newline; a null value prints as an empty line. */
export function valueLine(message: PrintableMessage): Buffer {
  if (message.value === null || message.value.length === 0) return Buffer.from('\n')
  return Buffer.concat([message.value, Buffer.from('\n')])
}

/**
 * One JSON object and a newline. The offset is a string because JSON numbers lose precision above 2^53;
 * headers stay a list because Kafka allows a key to repeat.
 */
export function jsonLine(
  message: PrintableMessage,
  encoding: BytesEncoding,
  extra: Record<string, unknown> = {},
): string {
  return `${JSON.stringify({
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    timestamp: message.timestamp,
    key: encode(message.key, encoding),
    value: encode(message.value, encoding),
    headers: message.headers.map((header) => ({ key: header.key, value: encode(header.value, encoding) })),
    ...extra,
  })}\n`
}
