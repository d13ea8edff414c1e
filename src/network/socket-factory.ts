/**
 * How a {@link Connection} obtains its byte stream. Plain TCP is the default; TLS (and anything else that
 * yields a connected `net.Socket`, such as a proxy tunnel) plugs in here without touching the connection's
 * framing, pipelining or negotiation.
 */

import * as net from 'node:net'
import { deferred } from './deferred.ts'

/** Where to connect. */
export interface BrokerEndpoint {
  host: string
  port: number
}

/**
 * Where a socket may put what it reads, for a factory that can read into the caller's buffers (Node's
 * `onread` option of `net.connect`): the connection then receives a large response straight into the
 * buffer that holds the frame, instead of in 64 KiB chunks that are copied there.
 */
export interface SocketReadTarget {
  /** The buffer the next read fills, from its start. */
  buffer(): Uint8Array
  /** `bytes` bytes were read into the start of `buffer` (the one {@link buffer} returned last). */
  filled(bytes: number, buffer: Uint8Array): void
}

/**
 * Opens a socket to `endpoint` and resolves once it can carry Kafka bytes (for TLS: after the handshake).
 *
 * The factory must reject promptly, and destroy whatever it created, when `signal` aborts: the connection
 * aborts it when `connectionTimeoutMs` passes or the connection is closed while still connecting.
 *
 * A factory may pass what the socket reads to `reads` instead of emitting `'data'` (as the default one
 * does); one that ignores `reads` works the same, a little slower on large responses.
 */
export type SocketFactory = (
  endpoint: BrokerEndpoint,
  signal: AbortSignal,
  reads?: SocketReadTarget,
) => Promise<net.Socket>

/**
 * Resolves once `socket` emits `readyEvent`, rejects on its first error or on `signal`; either way destroys
 * the socket on failure. A building block for socket factories (`'connect'` for TCP, `'secureConnect'`
 * for TLS).
 */
export function whenSocketReady(
  socket: net.Socket,
  readyEvent: string,
  signal: AbortSignal,
): Promise<net.Socket> {
  const { promise, resolve, reject } = deferred<net.Socket>()
  const cleanup = () => {
    socket.off(readyEvent, onReady)
    socket.off('error', onError)
    signal.removeEventListener('abort', onAbort)
  }
  const onReady = () => {
    cleanup()
    resolve(socket)
  }
  const onError = (error: Error) => {
    cleanup()
    socket.destroy()
    reject(error)
  }
  const onAbort = () => onError(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
  if (signal.aborted) {
    onAbort()
    return promise
  }
  socket.once(readyEvent, onReady)
  socket.once('error', onError)
  signal.addEventListener('abort', onAbort, { once: true })
  return promise
}

/** The default factory: a plain TCP connection with Nagle disabled, since Kafka requests are latency-bound. */
export const plaintextSocketFactory: SocketFactory = (endpoint, signal, reads) => {
  const socket = net.connect({
    host: endpoint.host,
    port: endpoint.port,
    noDelay: true,
    keepAlive: true,
    ...(reads === undefined
      ? {}
      : {
          onread: {
            buffer: () => reads.buffer(),
            callback: (bytes: number, buffer: Uint8Array) => {
              reads.filled(bytes, buffer)
              return true // keep reading: the connection never pauses its socket
            },
          },
        }),
  })
  return whenSocketReady(socket, 'connect', signal)
}
