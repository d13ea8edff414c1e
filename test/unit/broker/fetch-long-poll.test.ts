/**
 * When the in-process broker's Fetch waits and when it answers at once, as Kafka's ReplicaManager decides:
 * it waits for `minBytes` up to `maxWaitMs`, but answers at once when `minBytes` is 0 or a partition's log
 * diverged from what the client read (KIP-320), since waiting changes neither. Each fetch here asks to wait
 * 20 s; an answer that waits instead of coming at once fails the test by its 5 s timeout.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Producer } from '../../../src/producer/producer.ts'
import {
  createFetchPartition,
  createFetchRequest,
  createFetchTopic,
  Fetch,
  type FetchPartition,
} from '../../../src/protocol/messages/fetch.ts'

const LONG_WAIT_MS = 20_000

let broker: BrokerServer
let cluster: Cluster

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 1 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'fetch-long-poll' })
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

/** One Fetch on a connection of its own: a broker answers a connection's requests in order, so a waiting
 * fetch would hold up the producer's requests on a shared one. */
async function fetchOne(topic: string, minBytes: number, partition: Partial<FetchPartition>) {
  const own = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'fetch-long-poll-fetcher' })
  const connection = await own.connectionTo(0)
  const response = await connection
    .request(
      Fetch,
      createFetchRequest({
        maxWaitMs: LONG_WAIT_MS,
        minBytes,
        maxBytes: 1_000_000,
        topics: [
          createFetchTopic({
            topic,
            topicId: broker.state.topics.get(topic)!.id,
            partitions: [createFetchPartition({ partition: 0, partitionMaxBytes: 1_000_000, ...partition })],
          }),
        ],
      }),
      { timeoutMs: LONG_WAIT_MS + 10_000 },
    )
    .finally(() => own.close())
  return response.responses[0]!.partitions[0]!
}

it('minBytes 0 on an empty partition: an empty answer at once', async () => {
  broker.state.topics.create('poll-empty', 1)
  const answer = await fetchOne('poll-empty', 0, { fetchOffset: 0n })
  expect(answer.errorCode).toBe(0)
  expect(answer.records?.length ?? 0).toBe(0)
  expect(answer.highWatermark).toBe(0n)
})

it('minBytes 1 on an empty partition: the answer waits for the next append and carries it', async () => {
  broker.state.topics.create('poll-wait', 1)
  const pending = fetchOne('poll-wait', 1, { fetchOffset: 0n })
  const producer = new Producer(cluster, { lingerMs: 0 })
  await producer.send({ topic: 'poll-wait', value: 'late' })
  await producer.close()
  const answer = await pending
  expect(answer.records?.length ?? 0).toBeGreaterThan(0)
  expect(answer.highWatermark).toBe(1n)
})

it('a diverged log: the diverging epoch at once, though minBytes is not reached', async () => {
  broker.state.topics.create('poll-diverged', 1)
  const producer = new Producer(cluster, { lingerMs: 0 })
  for (let i = 0; i < 6; i++) await producer.send({ topic: 'poll-diverged', value: `v${i}` })
  await producer.close()
  // The client read offsets 0-5 in epoch 0; the new leader's log (epoch 1) ends at 4.
  const epoch = broker.state.topics.truncate('poll-diverged', 0, 4n)
  const answer = await fetchOne('poll-diverged', 1, {
    fetchOffset: 6n,
    lastFetchedEpoch: 0,
    currentLeaderEpoch: epoch,
  })
  expect(answer.errorCode).toBe(0)
  expect(answer.divergingEpoch).toEqual({ epoch: 0, endOffset: 4n })
  expect(answer.records?.length ?? 0).toBe(0)
})
