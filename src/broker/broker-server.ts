/**
 * The in-process cluster: N nodes, each a TCP listener on a loopback port, sharing one {@link BrokerState}.
 * Starting takes milliseconds (no JVM, no disk); closing drops every connection and frees the ports.
 */

import { randomUUID } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import type { ApiHandler } from './api-handler.ts'
import { apiRegistry } from './api-registry.ts'
import { BrokerState, type ClusterSettings, type NodeAddress } from './broker-state.ts'
import { BrokerConnection, type RequestInterceptor } from './connection.ts'

export interface BrokerServerOptions extends Partial<ClusterSettings> {
  /** Number of nodes (node ids 0..n-1); default 1. */
  readonly nodes?: number
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string
  /** Port of node 0 (the others follow it); default 0, a free port each. */
  readonly port?: number
  readonly clusterId?: string
  readonly interceptor?: RequestInterceptor
}

interface RunningNode {
  readonly address: NodeAddress
  readonly server: Server
  readonly connections: Set<BrokerConnection>
}

export class BrokerServer {
  readonly state: BrokerState
  readonly #nodes: RunningNode[] = []
  readonly #handlers: ReadonlyMap<number, ApiHandler> = apiRegistry()
  readonly #interceptor: RequestInterceptor | undefined

  private constructor(state: BrokerState, interceptor: RequestInterceptor | undefined) {
    this.state = state
    this.#interceptor = interceptor
  }

  /** Starts every node and resolves once all listen. */
  static async start(options: BrokerServerOptions = {}): Promise<BrokerServer> {
    const count = options.nodes ?? 1
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`nodes must be an integer >= 1, got ${count}`)
    const host = options.host ?? '127.0.0.1'
    const addresses: NodeAddress[] = []
    for (let nodeId = 0; nodeId < count; nodeId++) addresses.push({ nodeId, host, port: 0 })
    const state = new BrokerState(options.clusterId ?? randomUUID(), addresses, {
      autoCreateTopics: options.autoCreateTopics ?? false,
      defaultPartitions: options.defaultPartitions ?? 1,
      maxRequestBytes: options.maxRequestBytes ?? 100 * 1024 * 1024,
    })
    const broker = new BrokerServer(state, options.interceptor)
    state.groups.start()
    try {
      for (const address of addresses) {
        const port = options.port === undefined || options.port === 0 ? 0 : options.port + address.nodeId
        await broker.#listen(address, port)
      }
    } catch (error) {
      await broker.close()
      throw error
    }
    return broker
  }

  /** `host:port` of every node, comma-separated, for a client's bootstrap setting. */
  get bootstrap(): string {
    return this.state.nodes.map((node) => `${node.host}:${node.port}`).join(',')
  }

  /** Drops every open connection to `nodeId` (clients see a reset and reconnect). */
  dropConnections(nodeId: number): void {
    const node = this.#nodes.find((n) => n.address.nodeId === nodeId)
    for (const connection of node?.connections ?? []) connection.close()
  }

  async close(): Promise<void> {
    this.state.groups.close()
    await Promise.all(
      this.#nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            for (const connection of node.connections) connection.close()
            node.server.close(() => resolve())
          }),
      ),
    )
    this.state.topics.notifyAppend()
  }

  #listen(address: NodeAddress, port: number): Promise<void> {
    const connections = new Set<BrokerConnection>()
    const server = createServer((socket: Socket) => {
      const connection = new BrokerConnection(
        socket,
        this.state,
        address.nodeId,
        this.#handlers,
        this.#interceptor,
      )
      connections.add(connection)
      socket.on('close', () => connections.delete(connection))
    })
    this.#nodes.push({ address, server, connections })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, address.host, () => {
        server.off('error', reject)
        const bound = server.address()
        if (bound !== null && typeof bound === 'object') address.port = bound.port
        resolve()
      })
    })
  }
}
