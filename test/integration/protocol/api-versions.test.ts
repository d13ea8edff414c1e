import { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiDefinition } from '../../../src/protocol/api.ts'
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/api.ts'
import {
  ApiVersions,
  type ApiVersionsResponse,
  createApiVersionsRequest,
} from '../../../src/protocol/messages/api-versions.ts'
import { createDescribeClusterRequest } from '../../../src/protocol/messages/describe-cluster.ts'
import {
  DescribeCluster,
  Fetch,
  ListGroups,
  Metadata,
  Produce,
} from '../../../src/protocol/messages/index.ts'
import { createListGroupsRequest } from '../../../src/protocol/messages/list-groups.ts'
import { createMetadataRequest } from '../../../src/protocol/messages/metadata.ts'
import { encodeRequestHeader } from '../../../src/protocol/messages/request-header.ts'
import { decodeResponseHeader } from '../../../src/protocol/messages/response-header.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import { pickVersion } from '../../../src/protocol/versions.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

const [host = '127.0.0.1', port = '9092'] = kafkaBootstrap().split(',')[0]!.split(':')

/** A bare socket speaking one request at a time: exactly what the codecs need, nothing from the network layer. */
class RawConnection {
  private readonly socket = new Socket()
  private pending = Buffer.alloc(0)
  private waiter: ((frame: Buffer) => void) | undefined
  private correlationId = 0

  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject)
      this.socket.connect(Number(port), host, () => resolve())
    })
    this.socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk])
      if (this.pending.length < 4) return
      const size = this.pending.readInt32BE(0)
      if (this.pending.length < 4 + size) return
      const frame = this.pending.subarray(4, 4 + size)
      this.pending = this.pending.subarray(4 + size)
      this.waiter?.(frame)
    })
  }

  async send<Req, Res>(api: ApiDefinition<Req, Res>, version: number, request: Req): Promise<Res> {
    const correlationId = ++this.correlationId
    const writer = new Writer()
    const sizeAt = writer.reserveInt32()
    encodeRequestHeader(writer, requestHeaderVersion(api as ApiDefinition<unknown, unknown>, version), {
      requestApiKey: api.apiKey,
      requestApiVersion: version,
      correlationId,
      clientId: 'samsa-codegen-test',
    })
    api.encodeRequest(writer, version, request)
    writer.patchInt32(sizeAt, writer.length - 4)
    const frame = await new Promise<Buffer>((resolve) => {
      this.waiter = resolve
      this.socket.write(writer.toBuffer())
    })
    const reader = new Reader(frame)
    const header = decodeResponseHeader(
      reader,
      responseHeaderVersion(api as ApiDefinition<unknown, unknown>, version),
    )
    expect(header.correlationId).toBe(correlationId)
    const response = api.decodeResponse(reader, version)
    expect(reader.remaining).toBe(0)
    return response
  }

  close(): void {
    this.socket.destroy()
  }
}

function rangeOf(response: ApiVersionsResponse, apiKey: number) {
  return response.apiKeys.find((k) => k.apiKey === apiKey)
}

describe('ApiVersions against the real broker', () => {
  const connection = new RawConnection()
  beforeAll(() => connection.open())
  afterAll(() => connection.close())

  it('v3 (flexible) lists Produce, Fetch and Metadata, and version negotiation picks within both ranges', async () => {
    const response = await connection.send(
      ApiVersions,
      3,
      createApiVersionsRequest({ clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' }),
    )
    expect(response.errorCode).toBe(0)
    for (const api of [Produce, Fetch, Metadata, ApiVersions]) {
      const range = rangeOf(response, api.apiKey)
      expect(range, api.name).toBeDefined()
      expect(range!.maxVersion).toBeGreaterThanOrEqual(range!.minVersion)
    }
    const metadataRange = rangeOf(response, Metadata.apiKey)!
    const version = pickVersion(Metadata, metadataRange)
    expect(version).toBe(Math.min(Metadata.maxVersion, metadataRange.maxVersion))
    expect(version).toBeGreaterThanOrEqual(Math.max(Metadata.minVersion, metadataRange.minVersion))
    expect(pickVersion(Metadata, metadataRange, 9)).toBe(9)
    // KRaft brokers report finalized features in a tagged field; it must have been decoded, not left unknown.
    expect(response.finalizedFeaturesEpoch).toBeGreaterThanOrEqual(0n)
    expect(response.finalizedFeatures.map((f) => f.name)).toContain('metadata.version')

    // The negotiated Metadata version must actually work against the broker.
    const metadata = await connection.send(Metadata, version, createMetadataRequest({ topics: [] }))
    expect(metadata.brokers.length).toBeGreaterThan(0)
    expect(metadata.clusterId).not.toBeNull()
  })

  it('v0 (classic encoding) lists the same APIs', async () => {
    const response = await connection.send(ApiVersions, 0, createApiVersionsRequest())
    expect(response.errorCode).toBe(0)
    expect(response.throttleTimeMs).toBe(0)
    for (const api of [Produce, Fetch, Metadata])
      expect(rangeOf(response, api.apiKey), api.name).toBeDefined()
  })

  it('decodes real broker responses at every version both sides speak', async () => {
    // From v3 the broker validates the client software name and version, so they must be real.
    const identity = createApiVersionsRequest({ clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' })
    const advertised = await connection.send(ApiVersions, 4, identity)
    expect(advertised.errorCode).toBe(0)
    const requests: [ApiDefinition<unknown, unknown>, unknown][] = [
      [ApiVersions as ApiDefinition<unknown, unknown>, identity],
      [Metadata as ApiDefinition<unknown, unknown>, createMetadataRequest({ topics: [] })],
      [DescribeCluster as ApiDefinition<unknown, unknown>, createDescribeClusterRequest()],
      [ListGroups as ApiDefinition<unknown, unknown>, createListGroupsRequest()],
    ]
    let exchanges = 0
    for (const [api, request] of requests) {
      const range = rangeOf(advertised, api.apiKey)!
      const top = pickVersion(api, range)
      for (let version = Math.max(api.minVersion, range.minVersion); version <= top; version++) {
        // send() also checks that the decoder consumed the whole frame.
        const response = (await connection.send(api, version, request)) as { errorCode?: number }
        expect(response.errorCode ?? 0, `${api.name} v${version}`).toBe(0)
        exchanges++
      }
    }
    expect(exchanges).toBeGreaterThan(20)
  })
})
