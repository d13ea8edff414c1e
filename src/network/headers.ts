/**
 * The request and response headers, written and read directly on the hot path rather than through a
 * generated codec: they are tiny, fixed in shape, and sent with every request, so building a header object
 * per request would be pure overhead.
 *
 * Request header v1: api_key int16, api_version int16, correlation_id int32, client_id nullable string
 * (always the classic int16-prefixed form, even in v2). v2 appends an empty tagged-field section.
 * Response header v0: correlation_id int32. v1 appends a tagged-field section, which we skip.
 */

import type { Reader } from '../protocol/primitives/reader.ts'
import type { Writer } from '../protocol/primitives/writer.ts'

/** The client id as it goes on the wire (int16 length + UTF-8), encoded once per connection. */
export function encodeClientId(clientId: string | null): Buffer {
  if (clientId === null) return Buffer.from([0xff, 0xff])
  const text = Buffer.from(clientId, 'utf8')
  const encoded = Buffer.allocUnsafe(2 + text.length)
  encoded.writeInt16BE(text.length, 0)
  text.copy(encoded, 2)
  return encoded
}

export function writeRequestHeader(
  writer: Writer,
  headerVersion: 1 | 2,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  encodedClientId: Buffer,
): void {
  writer.int16(apiKey).int16(apiVersion).int32(correlationId).raw(encodedClientId)
  if (headerVersion === 2) writer.unsignedVarint(0)
}

/** Reads a response header and returns its correlation id. */
export function readResponseHeader(reader: Reader, headerVersion: 0 | 1): number {
  const correlationId = reader.int32()
  if (headerVersion === 1) skipTaggedFields(reader)
  return correlationId
}

function skipTaggedFields(reader: Reader): void {
  const count = reader.unsignedVarint()
  for (let i = 0; i < count; i++) {
    reader.unsignedVarint()
    reader.skip(reader.unsignedVarint())
  }
}
