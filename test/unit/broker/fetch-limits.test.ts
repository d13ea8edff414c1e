import { afterAll, beforeAll, expect, it } from 'vitest'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Producer } from '../../../src/producer/producer.ts'
import {
  createFetchPartition,
  createFetchRequest,
  createFetchTopic,
  Fetch,
} from '../../../src/protocol/messages/fetch.ts'

let broker: BrokerServer
let cluster: Cluster

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 1 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'fetch-limits' })
  broker.state.topics.create('limits', 2)
  const producer = new Producer(cluster, { lingerMs: 0, compression: 'none' })
  // Three batches of about 1 KiB per partition.
  for (let i = 0; i < 3; i++) {
    for (const partition of [0, 1])
      await producer.send({ topic: 'limits', partition, value: Buffer.alloc(1000) })
  }
  await producer.close()
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function fetchSizes(maxBytes: number, partitionMaxBytes: number): Promise<number[]> {
  const connection = await cluster.connectionTo(0)
  const response = await connection.request(
    Fetch,
    createFetchRequest({
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes,
      topics: [
        createFetchTopic({
          topic: 'limits',
          topicId: broker.state.topics.get('limits')!.id,
          partitions: [0, 1].map((partition) =>
            createFetchPartition({ partition, fetchOffset: 0n, partitionMaxBytes }),
          ),
        }),
      ],
    }),
  )
  return response.responses[0]!.partitions.map((p) => p.records?.length ?? 0)
}

it('Fetch: the response limit holds across partitions; only the first partition returns an oversized batch', async () => {
  const batch = broker.state.topics.partition('limits', 0)!.log.batches[0]!.bytes.length
  // A limit below one batch: the first partition still gets one batch (KIP-74), the second nothing.
  expect(await fetchSizes(100, 1_000_000)).toEqual([batch, 0])
  // Room for two batches in all: both from the first partition.
  expect(await fetchSizes(2 * batch + 10, 1_000_000)).toEqual([2 * batch, 0])
  // The partition limit caps each partition; the response limit leaves room for both.
  expect(await fetchSizes(1_000_000, batch + 10)).toEqual([batch, batch])
})
