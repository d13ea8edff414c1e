/**
 * A readiness probe that needs nothing from the network layer: one ApiVersions v0 request over a fresh TCP
 * socket. A KRaft broker only starts processing client requests once it has caught up with the metadata log
 * and been unfenced, so an answer here means the node can serve clients, not merely that the port is bound.
 */

import { connect } from 'node:net'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { Reader } from '../protocol/primitives/reader.ts'
import { Writer } from '../protocol/primitives/writer.ts'

const API_VERSIONS_KEY = 18
const PROBE_CORRELATION_ID = 0x5a4d5341

/** What the probe learned about `host:port`. */
export type ProbeResult =
  | { kind: 'kafka'; apiCount: number }
  /** Nothing accepted the connection. */
  | { kind: 'closed' }
  /** Something accepted the connection but did not answer like a Kafka broker in time. */
  | { kind: 'other'; detail: string }

function encodeApiVersionsV0(): Buffer {
  const body = new Writer(32)
  const sizeAt = body.reserveInt32()
  // Request header v1: api key, api version, correlation id, client id.
  body.int16(API_VERSIONS_KEY).int16(0).int32(PROBE_CORRELATION_ID).string('samsa-rig-probe')
  body.patchInt32(sizeAt, body.length - 4)
  return body.toBuffer()
}

/** Decodes the ApiVersions v0 response body (after the size prefix); returns the number of APIs listed. */
function decodeApiVersionsV0(frame: Buffer): { errorCode: number; apiCount: number } {
  const reader = new Reader(frame)
  const correlationId = reader.int32()
  if (correlationId !== PROBE_CORRELATION_ID) throw new Error(`unexpected correlation id ${correlationId}`)
  const errorCode = reader.int16()
  const apiCount = reader.arrayLength(false, 6) ?? 0
  return { errorCode, apiCount }
}

/** Sends one ApiVersions v0 request to `host:port` and classifies the answer. Never throws. */
export function probeApiVersions(host: string, port: number, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let received = Buffer.alloc(0)
    let connected = false
    let settled = false
    const finish = (result: ProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(
      () =>
        finish(
          connected
            ? { kind: 'other', detail: `no ApiVersions answer within ${timeoutMs} ms` }
            : { kind: 'closed' },
        ),
      timeoutMs,
    )
    socket.on('connect', () => {
      connected = true
      socket.write(encodeApiVersionsV0())
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 4) return
      const size = received.readInt32BE(0)
      if (size < 6 || size > 1 << 20) {
        finish({ kind: 'other', detail: `answered with a ${size}-byte frame` })
        return
      }
      if (received.length < 4 + size) return
      try {
        const { errorCode, apiCount } = decodeApiVersionsV0(received.subarray(4, 4 + size))
        finish(
          errorCode === ErrorCode.NONE
            ? { kind: 'kafka', apiCount }
            : { kind: 'other', detail: `ApiVersions error code ${errorCode}` },
        )
      } catch (error) {
        finish({ kind: 'other', detail: `undecodable answer (${(error as Error).message})` })
      }
    })
    socket.on('error', (error) => {
      finish(connected ? { kind: 'other', detail: error.message } : { kind: 'closed' })
    })
    socket.on('close', () =>
      finish(connected ? { kind: 'other', detail: 'closed the connection' } : { kind: 'closed' }),
    )
  })
}
