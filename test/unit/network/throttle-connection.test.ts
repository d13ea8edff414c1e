/**
 * The connection honouring a throttle, against an in-memory socket whose replies the test scripts. Time is
 * real but short; assertions bound it from below (the throttle held requests back at least this long) and
 * never tightly from above.
 */

import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { TimeoutError } from '../../../src/common/errors.ts'
import { Connection } from '../../../src/network/connection.ts'
import {
  ApiVersions,
  createApiVersion,
  createApiVersionsResponse,
} from '../../../src/protocol/messages/api-versions.ts'
import {
  createHeartbeatRequest,
  createHeartbeatResponse,
  Heartbeat,
} from '../../../src/protocol/messages/heartbeat.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'

interface ReceivedRequest {
  apiKey: number
  version: number
  correlationId: number
  /** `performance.now()` when the connection wrote it. */
  at: number
}

/**
 * A socket that answers ApiVersions itself and hands every other request to `onRequest`, which replies
 * (now or later) with `reply`.
 */
class ScriptedBroker {
  readonly received: ReceivedRequest[] = []
  onRequest: (request: ReceivedRequest) => void = () => {}
  readonly socket: Duplex

  constructor() {
    let pending = Buffer.alloc(0)
    this.socket = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = pending.readInt32BE(0)
          const request: ReceivedRequest = {
            apiKey: pending.readInt16BE(4),
            version: pending.readInt16BE(6),
            correlationId: pending.readInt32BE(8),
            at: performance.now(),
          }
          pending = pending.subarray(4 + size)
          this.received.push(request)
          if (request.apiKey === ApiVersions.apiKey) this.answerApiVersions(request)
          else this.onRequest(request)
        }
        callback()
      },
    })
  }

  /** Sends a Heartbeat response (v4: flexible, so header v1) for `request`. */
  replyHeartbeat(request: ReceivedRequest, throttleTimeMs: number): void {
    const writer = new Writer()
    const sizeAt = writer.reserveInt32()
    writer.int32(request.correlationId).unsignedVarint(0)
    Heartbeat.encodeResponse(writer, request.version, createHeartbeatResponse({ throttleTimeMs }))
    writer.patchInt32(sizeAt, writer.length - 4)
    this.deliver(writer.toBuffer())
  }

  /** Like a real socket, never hands data back inside the write that prompted it. */
  private deliver(frame: Buffer): void {
    setImmediate(() => this.socket.push(frame))
  }

  private answerApiVersions(request: ReceivedRequest): void {
    const writer = new Writer()
    const sizeAt = writer.reserveInt32()
    writer.int32(request.correlationId) // ApiVersions always answers with header v0
    ApiVersions.encodeResponse(
      writer,
      request.version,
      createApiVersionsResponse({
        apiKeys: [
          createApiVersion({ apiKey: ApiVersions.apiKey, minVersion: 0, maxVersion: request.version }),
          createApiVersion({ apiKey: Heartbeat.apiKey, minVersion: 4, maxVersion: 4 }),
        ],
      }),
    )
    writer.patchInt32(sizeAt, writer.length - 4)
    this.deliver(writer.toBuffer())
  }
}

const heartbeat = createHeartbeatRequest({ groupId: 'g', generationId: 1, memberId: 'm' })
const connections: Connection[] = []

async function connectTo(broker: ScriptedBroker, options: { requestTimeoutMs?: number } = {}) {
  const throttles: number[] = []
  const connection = new Connection({
    host: 'stub',
    port: 9092,
    socketFactory: async () => broker.socket as unknown as Socket,
    onThrottle: (ms) => throttles.push(ms),
    ...options,
  })
  connections.push(connection)
  await connection.connect()
  return { connection, throttles }
}

afterEach(() => {
  for (const connection of connections.splice(0)) connection.destroy()
})

describe('Connection under a broker throttle', () => {
  it('holds requests made during the throttle until it has passed, then sends them in order', async () => {
    const broker = new ScriptedBroker()
    let throttledReplyAt = 0
    broker.onRequest = (request) => {
      const first = broker.received.filter((r) => r.apiKey === Heartbeat.apiKey).length === 1
      if (first) throttledReplyAt = performance.now()
      broker.replyHeartbeat(request, first ? 300 : 0)
    }
    const { connection, throttles } = await connectTo(broker)

    const first = await connection.request(Heartbeat, heartbeat)
    expect(first.throttleTimeMs).toBe(300)
    expect(connection.throttled).toBe(true)

    const later = await Promise.all([
      connection.request(Heartbeat, heartbeat),
      connection.request(Heartbeat, heartbeat),
    ])
    expect(later.map((r) => r.throttleTimeMs)).toEqual([0, 0])
    expect(connection.throttled).toBe(false)

    const heartbeats = broker.received.filter((r) => r.apiKey === Heartbeat.apiKey)
    expect(heartbeats).toHaveLength(3)
    // Neither held request reached the broker before the 300 ms were up (1 ms of timer rounding allowed).
    for (const held of heartbeats.slice(1)) expect(held.at - throttledReplyAt).toBeGreaterThanOrEqual(299)
    expect(heartbeats[1]!.correlationId).toBeLessThan(heartbeats[2]!.correlationId)

    expect(throttles).toEqual([300])
    expect(connection.throttleMetrics).toEqual({ throttledMs: 300, throttledResponses: 1 })
  })

  it('does not count the throttle against a held request’s timeout', async () => {
    const broker = new ScriptedBroker()
    let throttledReplyAt = 0
    broker.onRequest = (request) => {
      const first = broker.received.length === 2
      if (first) throttledReplyAt = performance.now()
      broker.replyHeartbeat(request, first ? 400 : 0)
    }
    const { connection } = await connectTo(broker)
    await connection.request(Heartbeat, heartbeat)

    // 100 ms of its own, but it cannot go out for 400: it must not time out while held.
    const held = await connection.request(Heartbeat, heartbeat, { timeoutMs: 100 })
    expect(held.errorCode).toBe(0)
    expect(broker.received.at(-1)!.at - throttledReplyAt).toBeGreaterThanOrEqual(399)
    expect(connection.state).toBe('ready')
  })

  it('extends the timeout of a request already on the wire, which the muted broker answers late', async () => {
    const broker = new ScriptedBroker()
    let throttledReplyAt = 0
    // Both requests are on the wire before the first is answered with a throttle; the broker has then muted
    // the connection, so the second is answered only after the throttle.
    broker.onRequest = () => {
      const [first, second] = broker.received.filter((r) => r.apiKey === Heartbeat.apiKey)
      if (second === undefined) return
      throttledReplyAt = performance.now()
      broker.replyHeartbeat(first!, 300)
      setTimeout(() => broker.replyHeartbeat(second, 0), 300)
    }
    const { connection } = await connectTo(broker)

    const [throttled, pipelined] = await Promise.all([
      connection.request(Heartbeat, heartbeat),
      connection.request(Heartbeat, heartbeat, { timeoutMs: 150 }),
    ])
    expect(throttled.throttleTimeMs).toBe(300)
    expect(pipelined.errorCode).toBe(0)
    expect(performance.now() - throttledReplyAt).toBeGreaterThanOrEqual(290)
    expect(connection.state).toBe('ready')
  })

  it('still times out a request the broker never answers, once its timeout has run after the throttle', async () => {
    const broker = new ScriptedBroker()
    broker.onRequest = (request) => {
      if (broker.received.length === 2) broker.replyHeartbeat(request, 200)
      // Everything later goes unanswered.
    }
    const { connection } = await connectTo(broker)
    await connection.request(Heartbeat, heartbeat)

    const started = performance.now()
    const error = await connection.request(Heartbeat, heartbeat, { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    // The 200 ms throttle plus its own 100 ms (minus a little timer rounding).
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(connection.state).toBe('closed')
  })
})

describe('a cluster’s dedicated connection (the group coordinator’s)', () => {
  it('counts its throttles in the cluster’s throttle metrics, like pooled connections', async () => {
    const broker = new ScriptedBroker()
    broker.onRequest = (request) => broker.replyHeartbeat(request, 40)
    const cluster = new Cluster({
      ...resolveClientOptions({ bootstrap: 'stub:9092', clientId: 'dedicated-test' }),
      socketFactory: async () => broker.socket as unknown as Socket,
    })
    const connection = cluster.dedicatedConnection({ nodeId: 7, host: 'stub', port: 9092, rack: null })
    connections.push(connection)
    expect(connection.nodeId).toBe(7)
    await connection.connect()
    await connection.request(Heartbeat, heartbeat)
    expect(cluster.throttleMetrics).toEqual({ throttledMs: 40, throttledResponses: 1 })
    await cluster.close()
  })
})
