/**
 * One connection per broker node, opened on first use and reopened after it breaks.
 *
 * Reconnecting waits an exponential backoff that grows with consecutive failures to the same node and
 * resets once a connection succeeds, so a broker that is down is not hammered, while a single dropped
 * connection (an idle timeout on the broker side, say) comes back almost at once.
 */

import { ClosedError, ConnectionError } from '../common/errors.ts'
import { Connection } from '../network/connection.ts'
import type { BrokerEndpoint } from '../network/socket-factory.ts'
import type { ThrottleMetrics } from '../network/throttle.ts'
import { backoffDelay, sleep } from './backoff.ts'
import type { ResolvedClientOptions } from './client-options.ts'

interface NodeEntry {
  endpoint: BrokerEndpoint
  connection: Connection | null
  /** The connect in progress (including its backoff wait), shared by everyone asking meanwhile. */
  opening: Promise<Connection> | null
  consecutiveFailures: number
  /** `performance.now()` before which no new connection is attempted. */
  retryAt: number
}

export class BrokerPool {
  private readonly options: ResolvedClientOptions
  private readonly nodes = new Map<number, NodeEntry>()
  private readonly controller = new AbortController()
  private readonly throttleTotals: ThrottleMetrics = { throttledMs: 0, throttledResponses: 0 }

  constructor(options: ResolvedClientOptions) {
    this.options = options
  }

  /**
   * Records where a node lives (from metadata or FindCoordinator). If the address changed, the old
   * connection is closed gracefully and the next request connects to the new one.
   */
  setAddress(nodeId: number, endpoint: BrokerEndpoint): void {
    const entry = this.nodes.get(nodeId)
    if (entry === undefined) {
      this.nodes.set(nodeId, {
        endpoint,
        connection: null,
        opening: null,
        consecutiveFailures: 0,
        retryAt: 0,
      })
      return
    }
    if (entry.endpoint.host === endpoint.host && entry.endpoint.port === endpoint.port) return
    entry.endpoint = endpoint
    const stale = entry.connection
    entry.connection = null
    entry.consecutiveFailures = 0
    entry.retryAt = 0
    void stale?.close()
  }

  /** True when the pool has an address for `nodeId`. */
  knows(nodeId: number): boolean {
    return this.nodes.has(nodeId)
  }

  /** The ready connection to `nodeId`, if there is one right now. */
  readyConnection(nodeId: number): Connection | undefined {
    const connection = this.nodes.get(nodeId)?.connection
    return connection?.state === 'ready' ? connection : undefined
  }

  /** True while `nodeId` is waiting out a reconnect backoff after failures. */
  isBackingOff(nodeId: number, now = performance.now()): boolean {
    const entry = this.nodes.get(nodeId)
    return entry !== undefined && entry.consecutiveFailures > 0 && entry.retryAt > now
  }

  /**
   * The ready connection to `nodeId`, connecting (after any pending backoff) if needed. One connect attempt
   * per call; failures reject with {@link ConnectionError} and lengthen the node's backoff.
   */
  connectionTo(nodeId: number): Promise<Connection> {
    const entry = this.nodes.get(nodeId)
    if (entry === undefined) {
      return Promise.reject(
        new ConnectionError(
          `no address is known for broker node ${nodeId}; it is not in the cluster metadata`,
        ),
      )
    }
    const current = entry.connection
    if (current !== null && current.state === 'ready') return Promise.resolve(current)
    if (entry.opening === null) {
      const opening = this.open(nodeId, entry)
      entry.opening = opening
      const clear = () => {
        if (entry.opening === opening) entry.opening = null
      }
      opening.then(clear, clear)
    }
    return entry.opening
  }

  /** Opens a connection that is not pooled, e.g. to a bootstrap address. The caller closes it. */
  async openUnpooled(endpoint: BrokerEndpoint): Promise<Connection> {
    this.throwIfClosed()
    const connection = this.newConnection(endpoint, undefined)
    await connection.connect()
    return connection
  }

  /** Node ids with a ready connection, least pending requests first. */
  readyNodesByLoad(): number[] {
    const ready: [number, number][] = []
    for (const [nodeId, entry] of this.nodes) {
      if (entry.connection?.state === 'ready') ready.push([nodeId, entry.connection.pendingRequests])
    }
    return ready.sort((a, b) => a[1] - b[1]).map(([nodeId]) => nodeId)
  }

  /**
   * Throttling (KIP-219) honoured by every connection this pool has opened, closed ones included: a
   * client whose quota is exceeded shows a growing `throttledMs`.
   */
  get throttleMetrics(): ThrottleMetrics {
    return { ...this.throttleTotals }
  }

  /** Closes every connection, letting requests already sent finish. Later calls fail with ClosedError. */
  async close(): Promise<void> {
    this.controller.abort(new ClosedError('the client was closed'))
    const closing: Promise<void>[] = []
    for (const entry of this.nodes.values()) {
      if (entry.connection !== null) closing.push(entry.connection.close())
    }
    await Promise.all(closing)
  }

  private async open(nodeId: number, entry: NodeEntry): Promise<Connection> {
    this.throwIfClosed()
    const wait = entry.retryAt - performance.now()
    if (wait > 0) await sleep(wait, this.controller.signal)
    const connection = this.newConnection(entry.endpoint, nodeId)
    entry.connection = connection
    let established = false
    void connection.closed.then((reason) => {
      if (entry.connection !== connection) return
      entry.connection = null
      // Even a connection that worked waits a little before coming back, so a broker that accepts and then
      // drops connections is not turned into a tight reconnect loop. (A failed connect is handled below.)
      if (established) this.scheduleBackoff(entry)
      if (!(reason instanceof ClosedError)) {
        this.options.logger.info('broker connection lost', {
          nodeId,
          broker: connection.address,
          reason: reason.message,
        })
      }
    })
    try {
      await connection.connect()
    } catch (error) {
      entry.consecutiveFailures++
      this.scheduleBackoff(entry)
      this.options.logger.warn('could not connect to broker', {
        nodeId,
        broker: connection.address,
        failures: entry.consecutiveFailures,
        error,
      })
      throw error
    }
    established = true
    entry.consecutiveFailures = 0
    return connection
  }

  private scheduleBackoff(entry: NodeEntry): void {
    entry.retryAt =
      performance.now() +
      backoffDelay(
        Math.max(0, entry.consecutiveFailures - 1),
        this.options.reconnectBackoffMs,
        this.options.reconnectBackoffMaxMs,
      )
  }

  /**
   * A connection configured like the pooled ones (its throttle times count in {@link throttleMetrics}) but not
   * pooled and not yet connected: the caller connects and closes it.
   */
  newConnection(endpoint: BrokerEndpoint, nodeId: number | undefined): Connection {
    const options = this.options
    return new Connection({
      host: endpoint.host,
      port: endpoint.port,
      nodeId,
      clientId: options.clientId,
      connectionTimeoutMs: options.connectionTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      maxInFlightRequests: options.maxInFlightRequests,
      maxResponseBytes: options.maxResponseBytes,
      socketFactory: options.socketFactory,
      authenticate: options.authenticate,
      onThrottle: (throttleTimeMs) => {
        this.throttleTotals.throttledMs += throttleTimeMs
        this.throttleTotals.throttledResponses++
      },
      logger: options.logger,
    })
  }

  private throwIfClosed(): void {
    if (this.controller.signal.aborted) throw new ClosedError('the client was closed')
  }
}
