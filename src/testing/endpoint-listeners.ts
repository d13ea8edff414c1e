/**
 * Loopback listeners standing in for broker endpoints, one per endpoint, opened on first use: the plumbing
 * shared by the proxies that sit between a client and the broker (FrameProxy here, the chaos suite's
 * FaultProxy). Each accepted socket goes to `accept` with the endpoint it stands for.
 */

import * as net from 'node:net'
import type { BrokerEndpoint, SocketFactory } from '../network/socket-factory.ts'
import { whenSocketReady } from '../network/socket-factory.ts'

export class EndpointListeners {
  private readonly listeners = new Map<string, Promise<net.Server>>()
  private readonly accept: (client: net.Socket, endpoint: BrokerEndpoint) => void

  constructor(accept: (client: net.Socket, endpoint: BrokerEndpoint) => void) {
    this.accept = accept
  }

  /** A socket factory that connects the client to the listener standing for each endpoint. */
  readonly socketFactory: SocketFactory = async (endpoint, signal) => {
    const server = await this.listenerFor(endpoint)
    const { port } = server.address() as net.AddressInfo
    return whenSocketReady(net.connect({ host: '127.0.0.1', port, noDelay: true }), 'connect', signal)
  }

  /** Stops listening (connections already accepted are the caller's to cut). */
  async close(): Promise<void> {
    const servers = await Promise.all(this.listeners.values())
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  }

  private listenerFor(endpoint: BrokerEndpoint): Promise<net.Server> {
    const key = `${endpoint.host}:${endpoint.port}`
    let listener = this.listeners.get(key)
    if (listener === undefined) {
      listener = new Promise((resolve, reject) => {
        const server = net.createServer((client) => this.accept(client, endpoint))
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => resolve(server))
      })
      this.listeners.set(key, listener)
    }
    return listener
  }
}
