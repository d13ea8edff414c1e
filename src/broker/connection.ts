/**
 * One client connection to one node: splits the byte stream into frames (bounded by the cluster's
 * `maxRequestBytes`, checked before anything is allocated), decodes each request with the generated codec,
 * hands it to its handler and writes the response. Requests on a connection are answered one at a time and in
 * order, as Kafka does (it mutes a connection while a request is in flight), so a long-polling Fetch holds
 * back the requests behind it on the same connection and nothing else.
 *
 * Like Kafka, it closes the connection on a frame it cannot make sense of: an unknown API key, a version
 * outside the advertised range (except ApiVersions, which is answered so the client can retry lower), or a
 * body that does not decode.
 */

import type { Socket } from 'node:net'
import { FrameReader } from '../network/frame-reader.ts'
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/api.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { ApiVersions } from '../protocol/messages/api-versions.ts'
import { decodeRequestHeader } from '../protocol/messages/request-header.ts'
import { Reader } from '../protocol/primitives/reader.ts'
import { Writer } from '../protocol/primitives/writer.ts'
import type { ApiHandler, RequestContext } from './api-handler.ts'
import type { BrokerState } from './broker-state.ts'
import { apiVersionsResponse } from './handlers/api-versions.ts'

/**
 * What becomes of one request: handled as usual; the connection dropped before it is handled; handled and
 * the connection dropped halfway through the response (`truncate`); or handled and answered with an error.
 */
export type Verdict = 'handle' | 'drop' | 'truncate' | { errorCode: number }

/** Decides, per request, whether a fault applies (see faults.ts); the connection only asks. */
export interface RequestInterceptor {
  /** Called before a request is handled; may delay it, answer it with an error, or drop the connection. */
  intercept(nodeId: number, apiKey: number): Promise<Verdict>
}

let nextConnectionId = 1

export class BrokerConnection {
  readonly id = nextConnectionId++
  readonly #socket: Socket
  readonly #state: BrokerState
  readonly #nodeId: number
  readonly #handlers: ReadonlyMap<number, ApiHandler>
  readonly #interceptor: RequestInterceptor | undefined
  readonly #frames: FrameReader
  #queue: Promise<void> = Promise.resolve()
  #closed = false
  #truncateNext = false
  readonly #onError: (error: unknown) => void
  readonly #onRequest: (apiName: string, apiVersion: number) => void

  constructor(
    socket: Socket,
    state: BrokerState,
    nodeId: number,
    handlers: ReadonlyMap<number, ApiHandler>,
    interceptor?: RequestInterceptor,
    onError: (error: unknown) => void = () => undefined,
    onRequest: (apiName: string, apiVersion: number) => void = () => undefined,
  ) {
    this.#onError = onError
    this.#onRequest = onRequest
    this.#socket = socket
    this.#state = state
    this.#nodeId = nodeId
    this.#handlers = handlers
    this.#interceptor = interceptor
    this.#frames = new FrameReader((frame) => {
      this.#queue = this.#queue.then(() => this.#serve(frame))
    }, state.settings.maxRequestBytes)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#frames.push(chunk)
      } catch {
        this.close()
      }
    })
    socket.on('error', () => this.close())
    socket.on('close', () => {
      this.#closed = true
    })
  }

  /** Drops the connection at once, as a crashed broker or a cut network would. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#frames.reset()
    this.#socket.destroy()
  }

  async #serve(frame: Buffer): Promise<void> {
    if (this.#closed) return
    try {
      const reply = await this.#answer(frame)
      if (reply === undefined || this.#closed) {
        this.#truncateNext = false
        return
      }
      if (this.#truncateNext) {
        // Half the response, then a reset: the request took effect but the client never learns its answer.
        this.#truncateNext = false
        this.#socket.write(reply.subarray(0, Math.max(1, reply.length >> 1)), () => this.close())
        return
      }
      this.#socket.write(reply)
    } catch (error) {
      this.#onError(error)
      this.close()
    }
  }

  /** The framed response to one request, or undefined when none is due (acks=0, or the connection dropped). */
  async #answer(frame: Buffer): Promise<Buffer | undefined> {
    if (frame.length < 8) throw new RangeError('request frame too short for a header')
    const apiKey = frame.readInt16BE(0)
    const apiVersion = frame.readInt16BE(2)
    const handler = this.#handlers.get(apiKey)
    if (handler === undefined) throw new RangeError(`unknown API key ${apiKey}`)
    const min = handler.minVersion ?? handler.api.minVersion
    const max = handler.maxVersion ?? handler.api.maxVersion
    if (apiVersion < min || apiVersion > max) {
      if (apiKey !== ApiVersions.apiKey) throw new RangeError(`API ${apiKey} v${apiVersion} is not served`)
      // KIP-511: answer at v0 with the supported range, so the client can retry at a version both speak.
      const correlationId = frame.readInt32BE(4)
      return this.#frame(correlationId, 0, (w) =>
        ApiVersions.encodeResponse(
          w,
          0,
          apiVersionsResponse([...this.#handlers.values()], ErrorCode.UNSUPPORTED_VERSION),
        ),
      )
    }
    const reader = new Reader(frame)
    const header = decodeRequestHeader(reader, requestHeaderVersion(handler.api, apiVersion))
    const request = handler.api.decodeRequest(reader, apiVersion)
    this.#onRequest(handler.api.name, apiVersion)
    const context: RequestContext = {
      state: this.#state,
      nodeId: this.#nodeId,
      apiVersion,
      clientId: header.clientId,
      connectionId: this.id,
    }
    let response: unknown
    const verdict = (await this.#interceptor?.intercept(this.#nodeId, apiKey)) ?? 'handle'
    if (verdict === 'drop') {
      this.close()
      return undefined
    }
    if (verdict === 'truncate') this.#truncateNext = true
    if (verdict === 'handle' || verdict === 'truncate') response = await handler.handle(request, context)
    else response = withErrorCode(await handler.handle(request, context), verdict.errorCode)
    if (response === undefined) return undefined
    return this.#frame(header.correlationId, responseHeaderVersion(handler.api, apiVersion), (w) =>
      handler.api.encodeResponse(w, apiVersion, response),
    )
  }

  #frame(correlationId: number, headerVersion: 0 | 1, body: (writer: Writer) => void): Buffer {
    const writer = new Writer(256)
    writer.int32(0).int32(correlationId)
    if (headerVersion === 1) writer.unsignedVarint(0)
    body(writer)
    const framed = writer.toBuffer()
    framed.writeInt32BE(framed.length - 4, 0)
    return framed
  }
}

/**
 * Sets `errorCode` on every error code field of a response, top-level and per partition: a fault that fails
 * a request makes it look to the client as if the broker had refused every part of it.
 */
function withErrorCode(response: unknown, errorCode: number): unknown {
  if (response === null || typeof response !== 'object') return response
  if (Array.isArray(response)) return response.map((item) => withErrorCode(item, errorCode))
  if (Buffer.isBuffer(response)) return response
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(response)) {
    copy[key] = key === 'errorCode' ? errorCode : withErrorCode(value, errorCode)
  }
  return copy
}
