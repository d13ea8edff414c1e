/**
 * The contract between generated message codecs and the network layer.
 *
 * Each generated module under `messages/` exports one {@link ApiDefinition} per API key. The network layer
 * needs nothing else to frame, send and decode a request: it picks a version with the broker (ApiVersions),
 * writes the request header of the right version, calls `encodeRequest`, and on the reply skips the
 * response header of the right version and calls `decodeResponse`.
 */

import type { Reader } from './primitives/reader.ts'
import type { Writer } from './primitives/writer.ts'

export interface ApiDefinition<Request, Response> {
  /** Kafka's API key, e.g. 8 for OffsetCommit. */
  readonly apiKey: number
  /** The API's name without the Request/Response suffix, e.g. `OffsetCommit`. */
  readonly name: string
  /** Lowest version the schema still defines. */
  readonly minVersion: number
  /** Highest version the schema defines. */
  readonly maxVersion: number
  /** First flexible version (KIP-482: compact types, tagged fields, header v2/v1), or `Infinity` if none. */
  readonly firstFlexibleVersion: number
  /** Writes the request body (not the header) for `version`. */
  encodeRequest(writer: Writer, version: number, request: Request): void
  /** Reads the response body (after the header) for `version`. */
  decodeResponse(reader: Reader, version: number): Response
  /** Reads a request body; used by tests and tools, never on the hot path. */
  decodeRequest(reader: Reader, version: number): Request
  /** Writes a response body; used by tests and tools, never on the hot path. */
  encodeResponse(writer: Writer, version: number, response: Response): void
}

/** Request header version for an API at a version: 2 when flexible, else 1 (samsa never sends header v0). */
export function requestHeaderVersion(api: ApiDefinition<unknown, unknown>, version: number): 1 | 2 {
  return version >= api.firstFlexibleVersion ? 2 : 1
}

/**
 * Response header version: 1 (with tagged fields) when flexible, else 0. ApiVersions is the exception:
 * its response header is always v0, so a client can parse it before it knows what the broker speaks.
 */
export function responseHeaderVersion(api: ApiDefinition<unknown, unknown>, version: number): 0 | 1 {
  if (api.apiKey === 18) return 0
  return version >= api.firstFlexibleVersion ? 1 : 0
}

/** The request type of an API definition. */
export type RequestOf<A> = A extends ApiDefinition<infer Req, unknown> ? Req : never
/** The response type of an API definition. */
export type ResponseOf<A> = A extends ApiDefinition<unknown, infer Res> ? Res : never
