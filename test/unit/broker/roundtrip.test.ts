import { createConnection } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'

let broker: BrokerServer
let cluster: Cluster

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 3 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'broker-roundtrip' })
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

describe('the in-process broker with samsa', () => {
  it('creates a topic, takes produced records and hands them back from the offsets it assigned', async () => {
    const admin = new Admin(cluster)
    await admin.createTopics([{ topic: 'roundtrip', partitions: 3 }])
    const producer = new Producer(cluster, { lingerMs: 1 })
    const sent = await producer.sendBatch(
      Array.from({ length: 30 }, (_, i) => ({
        topic: 'roundtrip',
        partition: i % 3,
        key: `k${i}`,
        value: `v${i}`,
      })),
    )
    await producer.close()
    expect(sent.map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(Math.floor(i / 3))))
    // The leaders are spread: each of the 3 nodes leads one partition.
    expect(new Set(broker.state.topics.get('roundtrip')!.partitions.map((p) => p.leader))).toEqual(
      new Set([0, 1, 2]),
    )

    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    consumer.assign([0, 1, 2].map((partition) => ({ topic: 'roundtrip', partition })))
    const seen: string[] = []
    while (seen.length < 30) {
      for (const m of await consumer.poll({ timeoutMs: 1000 }))
        seen.push(`${m.partition}:${m.offset}:${m.value}`)
    }
    await consumer.close()
    expect(seen.sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `${i % 3}:${Math.floor(i / 3)}:v${i}`).sort(),
    )
  })

  it('closes a connection whose frame size prefix exceeds the request bound, allocating nothing for it', async () => {
    const small = await BrokerServer.start({ maxRequestBytes: 1024 })
    try {
      const [host, port] = small.bootstrap.split(':')
      const socket = createConnection({ host: host!, port: Number(port) })
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
      socket.on('error', () => undefined)
      socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0]))
      await closed
      expect(socket.destroyed).toBe(true)
    } finally {
      await small.close()
    }
  })
})

describe('what the broker records of the requests it serves', () => {
  it('counts requests by API and version, and keeps the error of a request it could not answer', async () => {
    const [host, port] = broker.bootstrap.split(',')[0]!.split(':')
    const socket = createConnection({ host: host!, port: Number(port) })
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => undefined)
    // A Metadata request header with API key 3 at version 99, which no broker serves.
    const frame = Buffer.alloc(14)
    frame.writeInt32BE(10, 0)
    frame.writeInt16BE(3, 4)
    frame.writeInt16BE(99, 6)
    frame.writeInt32BE(1, 8)
    frame.writeInt16BE(-1, 12)
    socket.write(frame)
    await closed
    expect(broker.requestErrors.at(-1)?.message).toMatch(/API 3 v99 is not served/)
    expect([...broker.requestsServed.keys()].some((key) => key.startsWith('Produce v'))).toBe(true)
  })
})
