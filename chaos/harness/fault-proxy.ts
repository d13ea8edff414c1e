/**
 * An in-process TCP proxy between a client and its brokers that injects network faults on command: added
 * latency, stalls (responses held back, then released), connections cut in the middle of a response frame,
 * and half-open sockets (the broker side vanishes without the client hearing a FIN: the client's socket stays
 * open and silent, and only its request timeout can notice). Plugged in through the client's socket factory,
 * like src/testing/frame-proxy.ts, so every connection the client opens, bootstrap or not, goes through it.
 */

import * as net from 'node:net'
import type { BrokerEndpoint, SocketFactory } from '../../src/network/socket-factory.ts'
import { EndpointListeners } from '../../src/testing/endpoint-listeners.ts'
import { frames } from '../../src/testing/frames.ts'

export type Fault =
  | { kind: 'latency'; ms: number }
  | { kind: 'stall'; ms: number }
  | { kind: 'cut' }
  | { kind: 'half-open' }

interface Link {
  client: net.Socket
  broker: net.Socket
  /** Responses held back while a stall lasts. */
  held: Buffer[]
  blackholed: boolean
  /** Delayed chunks per direction, forwarded in order by a promise chain. */
  chain: { up: Promise<void>; down: Promise<void> }
  queued: { up: number; down: number }
}

export class FaultProxy {
  /** Faults applied, for the report. */
  readonly applied: string[] = []
  private readonly listeners = new EndpointListeners((client, endpoint) => this.link(client, endpoint))
  private readonly links = new Set<Link>()
  private latencyMs = 0
  private stalledUntil = 0
  private cutPending = false

  readonly socketFactory: SocketFactory = this.listeners.socketFactory

  apply(fault: Fault): void {
    this.applied.push(fault.kind)
    switch (fault.kind) {
      case 'latency':
        this.latencyMs = fault.ms
        break
      case 'stall':
        this.stalledUntil = Date.now() + fault.ms
        setTimeout(() => this.release(), fault.ms)
        break
      case 'cut':
        this.cutPending = true
        break
      case 'half-open':
        for (const link of this.links) {
          if (link.blackholed) continue
          link.blackholed = true
          // The broker side goes away; the client side stays open and never hears another byte.
          link.broker.destroy()
        }
        break
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy()
      link.broker.destroy()
    }
    await this.listeners.close()
  }

  private link(client: net.Socket, endpoint: BrokerEndpoint): void {
    const broker = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
    const link: Link = {
      client,
      broker,
      held: [],
      blackholed: false,
      chain: { up: Promise.resolve(), down: Promise.resolve() },
      queued: { up: 0, down: 0 },
    }
    this.links.add(link)
    const end = () => {
      // A blackholed link keeps its client socket open: that is the half-open fault.
      if (!link.blackholed) client.destroy()
      broker.destroy()
    }
    client
      .on('error', () => {})
      .on('close', () => {
        broker.destroy()
        this.links.delete(link)
      })
    broker.on('error', end).on('close', end)
    client.on('data', (chunk: Buffer) => {
      if (link.blackholed) return
      this.delay(link, 'up', () => {
        if (!link.blackholed && !broker.destroyed) broker.write(chunk)
      })
    })
    broker.on(
      'data',
      frames((frame) => {
        if (link.blackholed) return
        if (this.cutPending) {
          // Half of a response frame, then the connection dies: the client holds a partial frame.
          this.cutPending = false
          client.write(frame.subarray(0, Math.max(5, frame.length >> 1)))
          client.destroy()
          broker.destroy()
          return
        }
        if (Date.now() < this.stalledUntil || link.held.length > 0) {
          link.held.push(frame)
          // Past the stall but its release has not run yet: release now, in order.
          if (Date.now() >= this.stalledUntil) this.release()
          return
        }
        this.delay(link, 'down', () => {
          if (!link.blackholed && !client.destroyed) client.write(frame)
        })
      }),
    )
  }

  private release(): void {
    for (const link of this.links) {
      const held = link.held.splice(0)
      if (!link.blackholed && !link.client.destroyed) for (const frame of held) link.client.write(frame)
    }
  }

  private delay(link: Link, direction: 'up' | 'down', action: () => void): void {
    if (this.latencyMs === 0 && link.queued[direction] === 0) {
      action()
      return
    }
    // Chained per direction, so a latency change never lets a later chunk overtake an earlier one.
    const due = Date.now() + this.latencyMs
    link.queued[direction]++
    link.chain[direction] = link.chain[direction]
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, due - Date.now()))))
      .then(() => {
        link.queued[direction]--
        action()
      })
  }
}
