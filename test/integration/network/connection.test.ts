import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  AuthenticationError,
  ConnectionError,
  ProtocolDecodeError,
  TimeoutError,
} from '../../../src/common/errors.ts'
import { negotiateApiVersions } from '../../../src/network/api-versions-negotiation.ts'
import { Connection, type ConnectionOptions } from '../../../src/network/connection.ts'
import { FrameReader } from '../../../src/network/frame-reader.ts'
import { encodeClientId, readResponseHeader, writeRequestHeader } from '../../../src/network/headers.ts'
import { plaintextSocketFactory, type SocketFactory } from '../../../src/network/socket-factory.ts'
import { requestHeaderVersion } from '../../../src/protocol/api.ts'
import { ApiVersions } from '../../../src/protocol/messages/api-versions.ts'
import { Fetch, type FetchRequest } from '../../../src/protocol/messages/fetch.ts'
import { Metadata, type MetadataRequest } from '../../../src/protocol/messages/metadata.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { createTopic, firstBroker } from './broker-fixtures.ts'

const broker = firstBroker()
const address = `${broker.host}:${broker.port}`
const opened: Connection[] = []

function open(options: Partial<ConnectionOptions> = {}): Connection {
  const connection = new Connection({ ...broker, clientId: 'samsa-network-test', ...options })
  opened.push(connection)
  return connection
}

function metadataFor(topics: string[]): MetadataRequest {
  return {
    topics: topics.map((name) => ({ topicId: '00000000-0000-0000-0000-000000000000', name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  }
}

afterEach(() => {
  for (const connection of opened.splice(0)) connection.destroy()
})

describe('Connection against a real broker', () => {
  it('negotiates API versions on connect', async () => {
    const connection = open()
    await connection.connect()
    expect(connection.state).toBe('ready')
    const metadata = connection.versions.rangeFor(Metadata.apiKey)
    expect(metadata?.maxVersion).toBeGreaterThanOrEqual(12)
    expect(connection.versions.pick(Metadata)).toBe(Math.min(Metadata.maxVersion, metadata!.maxVersion))
    expect(connection.versions.pick(Metadata, 9)).toBe(9)
    expect(connection.supports(ApiVersions)).toBe(true)
  })

  it('falls back to the version the broker offers when ApiVersions is asked at one it does not know', async () => {
    // A definition claiming v9: the broker answers UNSUPPORTED_VERSION in the v0 format, listing v0-v4.
    const future = {
      ...ApiVersions,
      maxVersion: 9,
      encodeRequest: (
        writer: Writer,
        version: number,
        request: Parameters<typeof ApiVersions.encodeRequest>[2],
      ) => ApiVersions.encodeRequest(writer, Math.min(version, ApiVersions.maxVersion), request),
    }
    const socket = await plaintextSocketFactory(broker, AbortSignal.timeout(10_000))
    const frames: Buffer[] = []
    const waiters: ((frame: Buffer) => void)[] = []
    const reader = new FrameReader((frame) => {
      const waiter = waiters.shift()
      if (waiter) waiter(frame)
      else frames.push(frame)
    })
    socket.on('data', (chunk: Buffer) => reader.push(chunk))
    const askedVersions: number[] = []
    let correlationId = 0
    try {
      const versions = await negotiateApiVersions(
        address,
        async (api, version, request) => {
          askedVersions.push(version)
          const writer = new Writer()
          const size = writer.reserveInt32()
          writeRequestHeader(
            writer,
            requestHeaderVersion(api, version),
            api.apiKey,
            version,
            ++correlationId,
            encodeClientId('t'),
          )
          api.encodeRequest(writer, version, request)
          writer.patchInt32(size, writer.length - 4)
          socket.write(writer.toBuffer())
          const frame = await new Promise<Buffer>((resolve) => waiters.push(resolve))
          const body = new Reader(frame)
          expect(readResponseHeader(body, 0)).toBe(correlationId)
          return api.decodeResponse(body, version)
        },
        future,
      )
      expect(askedVersions).toEqual([9, ApiVersions.maxVersion])
      expect(versions.rangeFor(ApiVersions.apiKey)?.maxVersion).toBe(ApiVersions.maxVersion)
      expect(versions.rangeFor(Metadata.apiKey)).toBeDefined()
    } finally {
      socket.destroy()
    }
  })

  it('pipelines 200 Metadata requests on one connection and matches every response to its request', async () => {
    const connection = open({ maxInFlightRequests: 5 })
    await connection.connect()
    // Each request names a different (non-existent) topic, so a mixed-up response would be visible.
    const names = Array.from({ length: 200 }, (_, i) => uniqueName(`pipelined-${i}`))
    const pending = names.map((name) => connection.request(Metadata, metadataFor([name])))
    expect(connection.pendingRequests).toBe(200)
    const responses = await Promise.all(pending)
    responses.forEach((response, i) => {
      expect(response.topics).toHaveLength(1)
      expect(response.topics[0]!.name).toBe(names[i])
      expect(response.topics[0]!.errorCode).toBe(3)
    })
    expect(connection.pendingRequests).toBe(0)
  })

  it('fails a request that outlives its timeout with TimeoutError, and the requests behind it with ConnectionError', async () => {
    const connection = open()
    await connection.connect()
    const topic = uniqueName('slow-fetch')
    await createTopic(connection, topic, 1)
    const topicId = await waitForTopicId(connection, topic)
    // Wait until the partition answers a non-blocking Fetch without error, so the slow one below is held
    // by the broker rather than answered at once with a "not ready yet" error.
    for (let attempt = 0; ; attempt++) {
      const probe = await connection.request(Fetch, emptyPartitionFetch(topicId, 0))
      if (probe.responses[0]?.partitions[0]?.errorCode === 0) break
      if (attempt > 50) throw new Error(`partition of ${topic} never became fetchable`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    // An empty partition and minBytes 1: the broker holds the Fetch for maxWaitMs (2 s).
    const fetch = connection.request(Fetch, emptyPartitionFetch(topicId, 2000), { timeoutMs: 200 })
    const behind = connection.request(Metadata, metadataFor([])).then(
      () => null,
      (e: unknown) => e,
    )
    const started = performance.now()
    const error = await fetch.then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).message).toContain('Fetch')
    expect((error as TimeoutError).broker).toBe(address)
    expect(performance.now() - started).toBeLessThan(1900)
    expect(await behind).toBeInstanceOf(ConnectionError)
    expect(connection.state).toBe('closed')
  })

  it('fails every in-flight request with ConnectionError naming the broker when the socket dies', async () => {
    let socket: Socket | undefined
    const capture: SocketFactory = async (endpoint, signal) => {
      socket = await plaintextSocketFactory(endpoint, signal)
      return socket
    }
    const connection = open({ socketFactory: capture })
    await connection.connect()
    const pending = Array.from({ length: 20 }, () => connection.request(Metadata, metadataFor([])))
    socket!.destroy()
    const outcomes = await Promise.allSettled(pending)
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected')
    // Some responses may have arrived before the socket died; the rest must fail, and nothing may hang.
    expect(failures.length).toBeGreaterThan(0)
    for (const failure of failures) {
      const reason = (failure as PromiseRejectedResult).reason
      expect(reason).toBeInstanceOf(ConnectionError)
      expect(reason.broker).toBe(address)
      expect(reason.message).toContain(address)
    }
    expect(connection.state).toBe('closed')
    await expect(connection.request(Metadata, metadataFor([]))).rejects.toBeInstanceOf(ConnectionError)
  })

  it('rejects a response frame above maxResponseBytes without reading it', async () => {
    const connection = open({ maxResponseBytes: 64 })
    const error = await connection.connect().then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConnectionError)
    const causes: unknown[] = []
    for (let cause = (error as Error).cause; cause instanceof Error; cause = cause.cause) causes.push(cause)
    expect(causes.some((cause) => cause instanceof ProtocolDecodeError)).toBe(true)
    expect(String((error as ConnectionError).message)).toMatch(/frame size of \d+ bytes/)
  })

  it('reports an unreachable broker as ConnectionError naming the address', async () => {
    const connection = new Connection({ host: '127.0.0.1', port: 1, connectionTimeoutMs: 2000 })
    const error = await connection.connect().then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).message).toContain('127.0.0.1:1')
    await expect(connection.request(Metadata, metadataFor([]))).rejects.toBeInstanceOf(ConnectionError)
  })

  it('runs the authenticator after ApiVersions and holds other requests until it finishes', async () => {
    const events: string[] = []
    const connection = open({
      authenticate: async (channel) => {
        events.push(`auth sees Metadata v${channel.versions.pick(Metadata)}`)
        const response = await channel.request(Metadata, metadataFor([]))
        events.push(`auth request answered by ${response.brokers.length} broker(s)`)
        await new Promise((resolve) => setTimeout(resolve, 50))
        events.push('auth done')
      },
    })
    const user = connection
      .request(Metadata, metadataFor([]))
      .then(() => events.push('user request answered'))
    await user
    expect(events).toEqual([
      expect.stringMatching(/^auth sees Metadata v\d+$/),
      expect.stringMatching(/^auth request answered by \d+ broker\(s\)$/),
      'auth done',
      'user request answered',
    ])
  })

  it('fails the connection with the authenticator error', async () => {
    const connection = open({
      authenticate: async () => {
        throw new AuthenticationError('bad credentials for test')
      },
    })
    await expect(connection.request(Metadata, metadataFor([]))).rejects.toThrow('bad credentials for test')
    expect(connection.state).toBe('closed')
  })

  it('close() lets requests already made finish, then refuses new ones', async () => {
    const connection = open()
    await connection.connect()
    const pending = Array.from({ length: 10 }, () => connection.request(Metadata, metadataFor([])))
    const closing = connection.close()
    await expect(connection.request(Metadata, metadataFor([]))).rejects.toThrow(/clos/)
    const responses = await Promise.all(pending)
    expect(responses.every((response) => response.brokers.length > 0)).toBe(true)
    await closing
    expect(connection.state).toBe('closed')
  })
})

async function waitForTopicId(connection: Connection, topic: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await connection.request(Metadata, metadataFor([topic]))
    const found = response.topics[0]
    if (found !== undefined && found.errorCode === 0 && (found.partitions[0]?.leaderId ?? -1) >= 0) {
      return found.topicId
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`topic ${topic} did not appear`)
}

function emptyPartitionFetch(topicId: string, maxWaitMs: number): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: '',
        topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
            highWatermark: 9223372036854775807n,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  }
}
