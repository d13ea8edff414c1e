/**
 * A TCP proxy between a client and the brokers that understands Kafka framing well enough to lose chosen
 * frames: it forwards every request (showing each to {@link FrameProxy.onRequest}), and swallows the
 * response to the requests a rule picks (by API key).
 * The broker has then acted on the request while the client never hears of it: the indefinite outcome a
 * real network partition produces, made deterministic for tests.
 *
 * Plug it in through the client's socket factory: every connection the client opens goes to a local
 * listener of this proxy, which connects onwards to the broker the client asked for.
 */

import * as net from 'node:net'
import type { BrokerEndpoint, SocketFactory } from '../network/socket-factory.ts'
import { EndpointListeners } from './endpoint-listeners.ts'
import { frames } from './frames.ts'

/** Which responses to drop: the next `count` responses to requests with API key `apiKey`. */
interface DropRule {
  apiKey: number
  remaining: number
}

export class FrameProxy {
  private readonly listeners = new EndpointListeners((client, endpoint) => this.proxy(client, endpoint))
  private readonly sockets = new Set<net.Socket>()
  private readonly rules: DropRule[] = []
  /** API keys of the requests whose responses were dropped, in order. */
  readonly dropped: number[] = []
  /**
   * Sees every request frame (size prefix included) before it goes on to the broker: what a test needs to
   * check what the client actually sent.
   */
  onRequest: ((frame: Buffer) => void) | undefined = undefined

  /** A socket factory routing the client's connections through this proxy. */
  readonly socketFactory: SocketFactory = this.listeners.socketFactory

  /** Drops the responses to the next `count` requests with API key `apiKey` (the requests do reach the broker). */
  dropResponses(apiKey: number, count = 1): void {
    this.rules.push({ apiKey, remaining: count })
  }

  /** Stops listening and cuts every proxied connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await this.listeners.close()
  }

  private proxy(client: net.Socket, endpoint: BrokerEndpoint): void {
    const broker = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
    this.sockets.add(client)
    this.sockets.add(broker)
    const dropCorrelationIds = new Set<number>()
    const end = () => {
      client.destroy()
      broker.destroy()
      this.sockets.delete(client)
      this.sockets.delete(broker)
    }
    client.on('error', end).on('close', end)
    broker.on('error', end).on('close', end)
    // Requests: [size][apiKey int16][apiVersion int16][correlationId int32]...
    client.on(
      'data',
      frames((frame) => {
        this.onRequest?.(frame)
        const rule = this.rules.find((r) => r.remaining > 0 && r.apiKey === frame.readInt16BE(4))
        if (rule !== undefined) {
          rule.remaining--
          dropCorrelationIds.add(frame.readInt32BE(8))
          this.dropped.push(rule.apiKey)
        }
        broker.write(frame)
      }),
    )
    // Responses: [size][correlationId int32]...
    broker.on(
      'data',
      frames((frame) => {
        if (dropCorrelationIds.delete(frame.readInt32BE(4))) return
        client.write(frame)
      }),
    )
  }
}
