/**
 * One TCP connection to one broker, carrying many requests at once.
 *
 * Lifecycle: `new` → `connecting` (socket, ApiVersions, then the optional authenticator) → `ready` →
 * `closed`. A Connection is single-use: once closed it stays closed, and the owner (the cluster's broker
 * pool) opens a new one. Requests made before `ready` wait for the handshake; requests made after `closed`
 * fail at once.
 *
 * Pipelining: up to `maxInFlightRequests` requests are on the wire at a time; more wait in a FIFO queue and
 * are sent in the order they were made. A Kafka broker answers the requests of one connection in the order
 * it received them, so responses are matched against the oldest in-flight request and a mismatched
 * correlation id means the stream is broken.
 *
 * Re-authentication (KIP-368): when the authenticator reports a session lifetime, the connection
 * authenticates again at a random point between 85% and 95% of it. New requests then queue instead of
 * going out, the requests already on the wire are answered, the handshake runs alone on the connection
 * (a broker rejects other requests in the middle of it), and the queue then drains in order. A failed
 * re-authentication closes the connection with the authenticator's error.
 *
 * Throttling (KIP-219): a response reporting `throttleTimeMs > 0` closes the connection to new sends for that
 * long: requests made meanwhile queue in order and go out once it is over. The broker mutes its side of the
 * connection for the same time, so requests already on the wire are answered that much later. Time spent
 * throttled is therefore not counted against any request's timeout: each unanswered request's deadline
 * moves back by however much the quiet period grew, and a request made during one gets the rest of it on
 * top of its timeout. A broker that stops answering is still caught, just after the throttle it asked for.
 *
 * Failure: when the socket errors or closes, every in-flight and queued request fails with a
 * {@link ConnectionError} naming the broker. When a sent request outlives its timeout it fails with a
 * {@link TimeoutError} and the connection is closed too, as the Java client does: a broker that stopped
 * answering one request is usually not answering the others, and a half-open TCP connection is only
 * detected this way.
 */

import type { Socket } from 'node:net'
import {
  ClosedError,
  ConnectionError,
  KafkaError,
  ProtocolDecodeError,
  TimeoutError,
} from '../common/errors.ts'
import { type Logger, silentLogger } from '../common/logger.ts'
import { type ApiDefinition, requestHeaderVersion, responseHeaderVersion } from '../protocol/api.ts'
import { Reader } from '../protocol/primitives/reader.ts'
import { Writer } from '../protocol/primitives/writer.ts'
import { negotiateApiVersions } from './api-versions-negotiation.ts'
import type { BrokerVersions } from './broker-versions.ts'
import { type Deferred, deferred } from './deferred.ts'
import { Fifo } from './fifo.ts'
import { DEFAULT_MAX_FRAME_BYTES, FrameReader } from './frame-reader.ts'
import { encodeClientId, readResponseHeader, writeRequestHeader } from './headers.ts'
import {
  type BrokerEndpoint,
  plaintextSocketFactory,
  type SocketFactory,
  type SocketReadTarget,
} from './socket-factory.ts'
import { BrokerThrottle, type ThrottleMetrics, throttleTimeOf } from './throttle.ts'
import { tlsAuthenticationFailure } from './tls-socket-factory.ts'

/** Per-request choices. */
export interface RequestOptions {
  /** Send exactly this version; fails with UnsupportedVersionError if either side lacks it. */
  version?: number
  /** Never send a version above this (for callers that rely on a field later versions removed). */
  maxVersion?: number
  /** Fail with TimeoutError if no response arrives in this many ms. Default: the connection's `requestTimeoutMs`. */
  timeoutMs?: number
  /**
   * False for requests the broker never answers (Produce with `acks: 0`): the promise resolves with
   * `undefined` once the request is written. Default true.
   */
  expectResponse?: boolean
}

/**
 * What an {@link Authenticator} can use: the negotiated versions and a request function that works before
 * the connection is ready. Requests made through the Connection itself wait until authentication is over.
 */
export interface HandshakeChannel {
  /** `host:port` of the broker. */
  readonly broker: string
  readonly host: string
  readonly versions: BrokerVersions
  request<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: RequestOptions): Promise<Res>
}

/** What an authenticator may report about the session it opened. */
export interface AuthenticatedSession {
  /**
   * How long the broker keeps the session (KIP-368 `sessionLifetimeMs`); 0 or absent for no limit. Before
   * it ends the connection authenticates again, see {@link Connection}.
   */
  sessionLifetimeMs?: number
}

/**
 * Runs after ApiVersions and before the connection is marked ready; the extension point for SASL
 * (SaslHandshake + SaslAuthenticate). Rejecting fails the connection with that error. It runs again on
 * the same connection when the session it reported is about to expire.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: an authenticator that reports nothing is a plain `async () => {}`.
export type Authenticator = (channel: HandshakeChannel) => Promise<AuthenticatedSession | void>

export interface ConnectionOptions {
  host: string
  port: number
  /** Sent in every request header; brokers use it in logs and quotas. Default `samsa`. */
  clientId?: string | null
  /** The broker's node id, if known; only used in logs. */
  nodeId?: number
  /** Bound on opening the socket (TCP connect, and the TLS handshake when a TLS factory is used). Default 10000. */
  connectionTimeoutMs?: number
  /** Default per-request timeout, including the handshake's requests. Default 30000. */
  requestTimeoutMs?: number
  /** Requests on the wire at once before further ones queue. Default 5. */
  maxInFlightRequests?: number
  /** Largest response frame accepted; a larger size prefix closes the connection. Default 256 MiB. */
  maxResponseBytes?: number
  /** Opens the byte stream. Default: plain TCP. */
  socketFactory?: SocketFactory
  /** Runs after ApiVersions, before ready; see {@link Authenticator}. */
  authenticate?: Authenticator
  /**
   * Told of every response that asked the client to hold back (KIP-219), after the connection has started
   * doing so; the broker pool uses it to keep totals that outlive the connection.
   */
  onThrottle?: (throttleTimeMs: number) => void
  logger?: Logger
}

export type ConnectionState = 'new' | 'connecting' | 'ready' | 'closed'

type AnyApi = ApiDefinition<unknown, unknown>

interface PendingRequest {
  readonly api: AnyApi
  readonly version: number
  readonly correlationId: number
  readonly expectResponse: boolean
  readonly timeoutMs: number
  /** `performance.now()` at which the request times out; moved back while the broker throttles us. */
  deadline: number
  /** The encoded frame until it is written (in pieces when it references record batches); released afterwards. */
  frame: Uint8Array[] | null
  resolve: (response: unknown) => void
  reject: (error: unknown) => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/** Largest write buffer preallocated from a previous request's size, so one huge request does not stick. */
const MAX_FRAME_SIZE_HINT = 1024 * 1024

/**
 * Byte ranges of a request at least this long (record batches, in practice) go to the socket from where they
 * are rather than copied into the request's frame. Below it one copy costs less than another piece in the
 * gathered write.
 */
const SHARE_BYTES_FROM = 4096

export class Connection {
  readonly host: string
  readonly port: number
  /** `host:port`, the name used in every error and log line about this connection. */
  readonly address: string
  readonly nodeId: number | undefined

  private readonly connectionTimeoutMs: number
  private readonly requestTimeoutMs: number
  private readonly maxInFlightRequests: number
  private readonly socketFactory: SocketFactory
  private readonly authenticator: Authenticator | undefined
  private readonly logger: Logger
  private readonly onThrottle: ((throttleTimeMs: number) => void) | undefined
  private readonly throttle = new BrokerThrottle(() => this.afterCompletion())
  private readonly encodedClientId: Buffer
  private readonly frameReader: FrameReader
  /** Last frame size per API key, used to size the next frame's buffer up front. */
  private readonly frameSizeHints: number[] = []

  private currentState: ConnectionState = 'new'
  private socket: Socket | null = null
  private brokerVersions: BrokerVersions | null = null
  private connecting: Promise<void> | null = null
  private connectAbort: AbortController | null = null
  private closeReason: KafkaError | null = null
  private readonly closedSignal = deferred<KafkaError>()
  private draining: Deferred<void> | null = null
  private nextCorrelationId = 0
  private readonly inFlight = new Fifo<PendingRequest>()
  private readonly waiting = new Fifo<PendingRequest>()
  /** Set while a re-authentication waits for in-flight requests or runs; requests queue meanwhile. */
  private reauthentication: 'waiting' | 'running' | null = null
  private reauthenticationTimer: ReturnType<typeof setTimeout> | undefined

  constructor(options: ConnectionOptions) {
    this.host = options.host
    this.port = options.port
    this.address = `${options.host}:${options.port}`
    this.nodeId = options.nodeId
    this.connectionTimeoutMs = options.connectionTimeoutMs ?? 10_000
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.maxInFlightRequests = options.maxInFlightRequests ?? 5
    this.socketFactory = options.socketFactory ?? plaintextSocketFactory
    this.authenticator = options.authenticate
    this.logger = options.logger ?? silentLogger
    this.onThrottle = options.onThrottle
    this.encodedClientId = encodeClientId(options.clientId === undefined ? 'samsa' : options.clientId)
    this.frameReader = new FrameReader(
      (frame) => this.onFrame(frame),
      options.maxResponseBytes ?? DEFAULT_MAX_FRAME_BYTES,
    )
  }

  get state(): ConnectionState {
    return this.currentState
  }

  /** The versions the broker advertised; throws before the connection is ready. */
  get versions(): BrokerVersions {
    if (this.brokerVersions === null) {
      throw new ConnectionError(`connection to ${this.address} has not negotiated API versions yet`, {
        broker: this.address,
      })
    }
    return this.brokerVersions
  }

  /** Requests written and awaiting a response plus requests queued behind them: the connection's load. */
  get pendingRequests(): number {
    return this.inFlight.length + this.waiting.length
  }

  /** True while the broker's last throttle (KIP-219) holds requests back. */
  get throttled(): boolean {
    return this.throttle.active
  }

  /** Throttle totals for this connection's lifetime; see {@link ThrottleMetrics}. */
  get throttleMetrics(): ThrottleMetrics {
    return this.throttle.metrics
  }

  /** Resolves (never rejects) with the reason once the connection is closed, whoever closed it. */
  get closed(): Promise<KafkaError> {
    return this.closedSignal.promise
  }

  /**
   * Opens the socket, negotiates API versions and authenticates. Idempotent: concurrent and later calls
   * share one attempt. Rejects with {@link ConnectionError} (or the authenticator's error), after which the
   * connection is closed.
   */
  connect(): Promise<void> {
    if (this.currentState === 'closed') return Promise.reject(this.closeReason)
    this.connecting ??= this.establish()
    return this.connecting
  }

  /**
   * Sends `request` at the highest version both sides support (see {@link RequestOptions}) and resolves
   * with the decoded response. Connects first if needed.
   */
  request<Req, Res>(
    api: ApiDefinition<Req, Res>,
    request: Req,
    options: RequestOptions & { expectResponse: false },
  ): Promise<undefined>
  request<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: RequestOptions): Promise<Res>
  request<Req, Res>(
    api: ApiDefinition<Req, Res>,
    request: Req,
    options?: RequestOptions,
  ): Promise<Res | undefined> {
    if (this.currentState !== 'ready') {
      if (this.currentState === 'closed') return Promise.reject(this.closeReason)
      return this.connect().then(() => this.request(api, request, options))
    }
    return this.sendNegotiated(api, request, options)
  }

  /** True when the broker supports some version of `api` (from `minVersion` up) that samsa also speaks. */
  supports(api: AnyApi, minVersion?: number): boolean {
    return this.brokerVersions?.supports(api, minVersion) ?? false
  }

  /**
   * Stops accepting requests, lets those already made finish (each within its own timeout), then closes
   * the socket. Requests made after this call fail with {@link ClosedError}.
   */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return
    if (this.currentState !== 'ready') {
      this.destroy(new ClosedError(`connection to ${this.address} was closed while connecting`))
      return
    }
    if (this.draining === null) {
      this.draining = deferred<void>()
      if (this.pendingRequests === 0) this.draining.resolve()
    }
    await this.draining.promise
    if (this.isClosed()) return
    const socket = this.socket!
    // end() flushes what was written (including fire-and-forget requests) before the FIN; the broker then
    // closes its side. Should it not, the timer makes sure close() still finishes.
    const forceClose = setTimeout(() => socket.destroy(), this.requestTimeoutMs)
    socket.end()
    this.markClosed(new ClosedError(`connection to ${this.address} was closed`))
    await new Promise<void>((resolve) => {
      if (socket.closed) resolve()
      else socket.once('close', () => resolve())
    })
    clearTimeout(forceClose)
  }

  /**
   * Closes the connection at once: every in-flight and queued request fails with `reason` (by default a
   * ConnectionError). Safe to call repeatedly.
   */
  destroy(reason?: KafkaError): void {
    if (this.currentState === 'closed' && this.socket === null) return
    const error =
      reason ?? new ConnectionError(`connection to ${this.address} was closed`, { broker: this.address })
    this.markClosed(error)
    this.connectAbort?.abort(error)
    if (this.socket !== null) {
      this.socket.destroy()
      this.socket = null
    }
    this.frameReader.reset()
    this.failAll(error)
  }

  // -- connecting ------------------------------------------------------------------------------------

  private async establish(): Promise<void> {
    this.currentState = 'connecting'
    const abort = new AbortController()
    this.connectAbort = abort
    const timer = setTimeout(
      () =>
        abort.abort(
          new ConnectionError(
            `timed out after ${this.connectionTimeoutMs} ms connecting to ${this.address} (connectionTimeoutMs)`,
            { broker: this.address },
          ),
        ),
      this.connectionTimeoutMs,
    )
    let socket: Socket
    try {
      socket = await this.socketFactory(
        { host: this.host, port: this.port } satisfies BrokerEndpoint,
        abort.signal,
        this.socketReads,
      )
    } catch (error) {
      const failure =
        error instanceof KafkaError
          ? error
          : new ConnectionError(`could not connect to ${this.address}: ${describeError(error)}`, {
              broker: this.address,
              cause: error,
            })
      this.destroy(failure)
      throw failure
    } finally {
      clearTimeout(timer)
      this.connectAbort = null
    }
    if (this.isClosed()) {
      socket.destroy()
      throw this.closeReason
    }
    this.attach(socket)

    try {
      this.brokerVersions = await negotiateApiVersions(this.address, (api, version, request) =>
        this.send(api, version, request, this.requestTimeoutMs, true),
      )
      if (this.authenticator !== undefined) {
        const session = await this.authenticator(this.handshakeChannel())
        this.scheduleReauthentication(session ?? undefined)
      }
    } catch (error) {
      const failure =
        error instanceof KafkaError
          ? error
          : new ConnectionError(`handshake with ${this.address} failed: ${describeError(error)}`, {
              broker: this.address,
              cause: error,
            })
      this.destroy(failure)
      throw failure
    }
    if (this.isClosed()) throw this.closeReason
    this.currentState = 'ready'
    this.logger.debug('connected', { broker: this.address, nodeId: this.nodeId })
  }

  private handshakeChannel(): HandshakeChannel {
    return {
      broker: this.address,
      host: this.host,
      versions: this.versions,
      request: <Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: RequestOptions) =>
        this.sendNegotiated(api, request, options, true) as Promise<Res>,
    }
  }

  private scheduleReauthentication(session: AuthenticatedSession | undefined): void {
    const lifetimeMs = session?.sessionLifetimeMs ?? 0
    if (!(lifetimeMs > 0)) return
    // Spread over 85-95% of the lifetime, so connections opened together do not all pause together.
    const delayMs = Math.max(0, Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1)))
    this.reauthenticationTimer = setTimeout(() => {
      this.reauthenticationTimer = undefined
      if (this.isClosed()) return
      this.reauthentication = 'waiting'
      this.maybeReauthenticate()
    }, delayMs)
    this.reauthenticationTimer.unref?.()
  }

  /** Starts the pending re-authentication once nothing is in flight. */
  private maybeReauthenticate(): void {
    if (
      this.reauthentication !== 'waiting' ||
      this.inFlight.length > 0 ||
      this.socket === null ||
      this.throttle.active
    )
      return
    this.reauthentication = 'running'
    this.logger.debug('re-authenticating', { broker: this.address })
    this.authenticator!(this.handshakeChannel()).then(
      (session) => {
        this.reauthentication = null
        this.scheduleReauthentication(session ?? undefined)
        this.afterCompletion()
      },
      (error: unknown) => {
        this.reauthentication = null
        this.destroy(
          error instanceof KafkaError
            ? error
            : new ConnectionError(`re-authentication with ${this.address} failed: ${describeError(error)}`, {
                broker: this.address,
                cause: error,
              }),
        )
      },
    )
  }

  /** For socket factories that read into our buffers: reads go where the frame reader wants them. */
  private readonly socketReads: SocketReadTarget = {
    buffer: () => this.frameReader.readTarget(),
    filled: (bytes, buffer) => this.received(() => this.frameReader.filled(bytes, buffer)),
  }

  /** Runs the frame reader on bytes that arrived; a malformed stream closes the connection. */
  private received(read: () => void): void {
    try {
      read()
    } catch (error) {
      this.destroy(
        new ConnectionError(`connection to ${this.address} received bad data: ${describeError(error)}`, {
          broker: this.address,
          cause: error,
        }),
      )
    }
  }

  private attach(socket: Socket): void {
    this.socket = socket
    // Factories that do not take `socketReads` deliver what they read as 'data'.
    socket.on('data', (chunk: Buffer) => this.received(() => this.frameReader.push(chunk)))
    socket.on('error', (error) => {
      // A TLS alert after the handshake (a broker refusing our client certificate) is not worth retrying.
      const refused = tlsAuthenticationFailure(error, this.address)
      if (refused !== undefined) {
        this.destroy(refused)
        return
      }
      this.destroy(
        new ConnectionError(`connection to ${this.address} failed: ${error.message}`, {
          broker: this.address,
          cause: error,
        }),
      )
    })
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.socket = null
      this.destroy(
        new ConnectionError(`connection to ${this.address} was closed by the broker`, {
          broker: this.address,
        }),
      )
    })
  }

  // -- sending ---------------------------------------------------------------------------------------

  private sendNegotiated<Req, Res>(
    api: ApiDefinition<Req, Res>,
    request: Req,
    options: RequestOptions | undefined,
    handshake = false,
  ): Promise<Res | undefined> {
    let version: number
    try {
      version = this.versions.pick(api as AnyApi, options?.maxVersion, options?.version)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.send(
      api,
      version,
      request,
      options?.timeoutMs ?? this.requestTimeoutMs,
      options?.expectResponse ?? true,
      handshake,
    ) as Promise<Res | undefined>
  }

  /** Encodes and queues one request at a known version. */
  private send<Req, Res>(
    api: ApiDefinition<Req, Res>,
    version: number,
    request: Req,
    timeoutMs: number,
    expectResponse: boolean,
    /** Authentication requests go out even while other requests are held back for re-authentication. */
    handshake = false,
  ): Promise<Res> {
    if (this.closeReason !== null) return Promise.reject(this.closeReason)
    if (this.draining !== null) {
      return Promise.reject(new ClosedError(`connection to ${this.address} is closing`))
    }
    const correlationId = this.nextCorrelationId
    this.nextCorrelationId = correlationId === 0x7fffffff ? 0 : correlationId + 1
    let frame: Uint8Array[]
    try {
      frame = this.encode(api as AnyApi, version, correlationId, request)
    } catch (error) {
      return Promise.reject(error)
    }
    const { promise, resolve, reject } = deferred<Res>()
    // A request made while throttled cannot go out before the throttle ends; that wait is not its fault.
    const allowedMs = timeoutMs + this.throttle.remainingMs
    const pending: PendingRequest = {
      api: api as AnyApi,
      version,
      correlationId,
      expectResponse,
      timeoutMs,
      deadline: performance.now() + allowedMs,
      frame,
      resolve: resolve as (response: unknown) => void,
      reject,
      timer: undefined,
    }
    pending.timer = setTimeout(this.onRequestTimeout, allowedMs, pending)
    if (handshake && this.reauthentication === 'running') this.transmit(pending)
    else if (
      this.reauthentication === null &&
      !this.throttle.active &&
      this.waiting.length === 0 &&
      this.inFlight.length < this.maxInFlightRequests
    )
      this.transmit(pending)
    else this.waiting.push(pending)
    return promise
  }

  private encode(api: AnyApi, version: number, correlationId: number, request: unknown): Uint8Array[] {
    const writer = new Writer(this.frameSizeHints[api.apiKey] ?? 128, SHARE_BYTES_FROM)
    const sizeAt = writer.reserveInt32()
    writeRequestHeader(
      writer,
      requestHeaderVersion(api, version),
      api.apiKey,
      version,
      correlationId,
      this.encodedClientId,
    )
    api.encodeRequest(writer, version, request)
    writer.patchInt32(sizeAt, writer.length - 4)
    const own = writer.ownLength
    this.frameSizeHints[api.apiKey] = Math.min(MAX_FRAME_SIZE_HINT, own + (own >>> 2))
    // The writer is not reused, so its bytes can go to the socket without a copy.
    return writer.segments()
  }

  private transmit(pending: PendingRequest): void {
    const frame = pending.frame!
    pending.frame = null
    const socket = this.socket!
    if (frame.length === 1) socket.write(frame[0]!)
    else {
      // Corked, the pieces leave in one gathered write (writev) instead of a syscall each.
      socket.cork()
      for (const piece of frame) socket.write(piece)
      socket.uncork()
    }
    if (pending.expectResponse) {
      this.inFlight.push(pending)
    } else {
      clearTimeout(pending.timer)
      pending.resolve(undefined)
      this.afterCompletion()
    }
  }

  /** Moves queued requests onto the wire as slots free up, and finishes a pending close(). */
  private afterCompletion(): void {
    if (this.reauthentication === 'waiting') this.maybeReauthenticate()
    while (
      this.reauthentication === null &&
      !this.throttle.active &&
      this.waiting.length > 0 &&
      this.inFlight.length < this.maxInFlightRequests &&
      this.socket !== null
    ) {
      this.transmit(this.waiting.shift()!)
    }
    if (this.draining !== null && this.pendingRequests === 0) this.draining.resolve()
  }

  // -- receiving -------------------------------------------------------------------------------------

  private onFrame(frame: Buffer): void {
    // The rest of a chunk that arrived as the connection was destroyed belongs to nobody.
    if (this.socket === null) return
    const pending = this.inFlight.peek()
    if (pending === undefined) {
      this.destroy(this.brokenStream(`a response arrived with no request in flight`))
      return
    }
    const reader = new Reader(frame)
    let correlationId: number
    try {
      correlationId = readResponseHeader(reader, responseHeaderVersion(pending.api, pending.version))
    } catch (error) {
      this.destroy(this.brokenStream(`unreadable response header: ${describeError(error)}`))
      return
    }
    if (correlationId !== pending.correlationId) {
      this.destroy(
        this.brokenStream(
          `response correlation id ${correlationId} does not match the oldest in-flight request ` +
            `(${pending.api.name}, correlation id ${pending.correlationId})`,
        ),
      )
      return
    }
    this.inFlight.shift()
    clearTimeout(pending.timer)
    // A response that fails to decode is that request's failure; framing is intact, so the connection
    // and the other requests on it carry on.
    let response: unknown
    try {
      response = pending.api.decodeResponse(reader, pending.version)
    } catch (error) {
      pending.reject(
        new ProtocolDecodeError(
          `could not decode ${pending.api.name} v${pending.version} response from ${this.address}: ${describeError(error)}`,
          { broker: this.address, cause: error },
        ),
      )
      this.afterCompletion()
      return
    }
    // Before anything else is sent, so the request this response frees a slot for waits out the throttle.
    const throttleTimeMs = throttleTimeOf(response)
    if (throttleTimeMs > 0) this.honourThrottle(throttleTimeMs, pending.api.name)
    pending.resolve(response)
    this.afterCompletion()
  }

  private honourThrottle(throttleTimeMs: number, api: string): void {
    const addedMs = this.throttle.record(throttleTimeMs)
    this.logger.debug('broker throttled this client; holding requests back', {
      broker: this.address,
      nodeId: this.nodeId,
      api,
      throttleTimeMs,
    })
    if (addedMs > 0) {
      const now = performance.now()
      for (const queue of [this.inFlight, this.waiting]) {
        for (const pending of queue) {
          if (pending.timer === undefined) continue
          clearTimeout(pending.timer)
          pending.deadline += addedMs
          pending.timer = setTimeout(this.onRequestTimeout, Math.max(0, pending.deadline - now), pending)
        }
      }
    }
    this.onThrottle?.(throttleTimeMs)
  }

  private brokenStream(detail: string): ConnectionError {
    return new ConnectionError(`connection to ${this.address} is out of sync: ${detail}`, {
      broker: this.address,
    })
  }

  // -- failing ---------------------------------------------------------------------------------------

  private readonly onRequestTimeout = (pending: PendingRequest): void => {
    pending.timer = undefined
    const error = new TimeoutError(
      `${pending.api.name} v${pending.version} request to broker ${this.address} timed out after ${pending.timeoutMs} ms`,
      { broker: this.address },
    )
    if (this.waiting.remove(pending)) {
      // It never left this process, so the connection itself is not in doubt.
      pending.reject(error)
      if (this.draining !== null && this.pendingRequests === 0) this.draining.resolve()
      return
    }
    this.inFlight.remove(pending)
    pending.reject(error)
    this.logger.warn('request timed out; closing the connection', {
      broker: this.address,
      api: pending.api.name,
      timeoutMs: pending.timeoutMs,
    })
    this.destroy(
      new ConnectionError(
        `connection to ${this.address} was closed because a ${pending.api.name} request timed out after ${pending.timeoutMs} ms`,
        { broker: this.address },
      ),
    )
  }

  /** A method rather than an inline comparison, so the state is re-read after an await. */
  private isClosed(): boolean {
    return this.currentState === 'closed'
  }

  private markClosed(reason: KafkaError): void {
    if (this.currentState === 'closed') return
    this.currentState = 'closed'
    this.closeReason = reason
    clearTimeout(this.reauthenticationTimer)
    this.throttle.cancel()
    this.closedSignal.resolve(reason)
    this.logger.debug('connection closed', {
      broker: this.address,
      nodeId: this.nodeId,
      reason: reason.message,
    })
  }

  private failAll(reason: KafkaError): void {
    const abandoned = [...this.inFlight.drain(), ...this.waiting.drain()]
    for (const pending of abandoned) {
      clearTimeout(pending.timer)
      pending.reject(
        reason instanceof ConnectionError
          ? new ConnectionError(`${pending.api.name} request failed: ${reason.message}`, {
              broker: this.address,
              cause: reason,
            })
          : reason,
      )
    }
    this.draining?.resolve()
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
