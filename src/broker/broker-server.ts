/**
 * The in-process cluster: N nodes, each a TCP listener on a loopback port, sharing one {@link BrokerState}.
 * Starting takes milliseconds (no JVM, no disk); closing drops every connection and frees the ports.
 */

import { randomUUID } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import type { ApiHandler } from './api-handler.ts'
import { apiRegistry } from './api-registry.ts'
import { BrokerState, type ClusterSettings, type NodeAddress } from './broker-state.ts'
import { BrokerConnection } from './connection.ts'
import { FaultInjector } from './faults.ts'

export interface BrokerServerOptions extends Partial<ClusterSettings> {
  /** Number of nodes (node ids 0..n-1); default 1. */
  readonly nodes?: number
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string
  /** Port of node 0 (the others follow it); default 0, a free port each. */
  readonly port?: number
  readonly clusterId?: string
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
  /**
   * Requests that closed their connection because they could not be served (a frame that does not decode,
   * a version not served, a response the codec refuses at the request's version), newest last, at most 100.
   * A real broker closes the connection in these cases too; tests assert this stays empty.
   */
  readonly requestErrors: Error[] = []
  /**
   * How many requests of each API and version arrived (`EndTxn v5` → 3): what clients actually send, e.g.
   * to check which transaction protocol a client chose.
   */
  readonly requestsServed = new Map<string, number>()
  /** Fault rules and pauses applied to requests as they arrive (see faults.ts). */
  readonly faults: FaultInjector

  private constructor(state: BrokerState) {
    this.state = state
    this.faults = new FaultInjector(
      new Map([...this.#handlers.values()].map((handler) => [handler.api.name, handler.api.apiKey])),
    )
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
      transactionVersion: options.transactionVersion ?? 2,
      consumerSessionTimeoutMs: options.consumerSessionTimeoutMs ?? 45_000,
      consumerHeartbeatIntervalMs: options.consumerHeartbeatIntervalMs ?? 5_000,
    })
    const broker = new BrokerServer(state)
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
    this.faults.clear()
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
        this.faults,
        (error) => {
          this.requestErrors.push(error instanceof Error ? error : new Error(String(error)))
          if (this.requestErrors.length > 100) this.requestErrors.shift()
        },
        (apiName, apiVersion) => {
          const key = `${apiName} v${apiVersion}`
          this.requestsServed.set(key, (this.requestsServed.get(key) ?? 0) + 1)
        },
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
