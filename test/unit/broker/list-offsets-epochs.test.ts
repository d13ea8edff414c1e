/**
 * The leader epoch ListOffsets answers with, after a leader change: Kafka gives the current epoch for the
 * latest offset and, for every other lookup, the epoch the found offset was written in (its leader-epoch
 * cache). A client validating that position (KIP-320) asks OffsetForLeaderEpoch about this epoch, so the
 * current one in its place would hide a truncation of the older epoch's records.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Producer } from '../../../src/producer/producer.ts'
import {
  createListOffsetsPartition,
  createListOffsetsRequest,
  createListOffsetsTopic,
  ListOffsets,
} from '../../../src/protocol/messages/list-offsets.ts'

const TOPIC = 'offsets-epochs'

let broker: BrokerServer
let cluster: Cluster

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 2 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'list-offsets-epochs' })
  broker.state.topics.create(TOPIC, 1)
  const producer = new Producer(cluster, { lingerMs: 0 })
  // Offsets 0-2 in epoch 0 on one node, then an election, then offsets 3-4 in epoch 1 on the other.
  for (let i = 0; i < 3; i++) await producer.send({ topic: TOPIC, value: `e0-${i}`, timestamp: 1000 + i })
  const first = broker.state.topics.partition(TOPIC, 0)!.leader
  broker.state.topics.moveLeader(TOPIC, 0, 1 - first)
  for (let i = 0; i < 2; i++) await producer.send({ topic: TOPIC, value: `e1-${i}`, timestamp: 2000 + i })
  await producer.close()
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function lookUp(timestamp: bigint): Promise<{ offset: bigint; leaderEpoch: number }> {
  const partition = broker.state.topics.partition(TOPIC, 0)!
  const connection = await cluster.connectionTo(partition.leader)
  const response = await connection.request(
    ListOffsets,
    createListOffsetsRequest({
      replicaId: -1,
      topics: [
        createListOffsetsTopic({
          name: TOPIC,
          partitions: [
            createListOffsetsPartition({
              partitionIndex: 0,
              currentLeaderEpoch: partition.leaderEpoch,
              timestamp,
            }),
          ],
        }),
      ],
    }),
  )
  const { errorCode, offset, leaderEpoch } = response.topics[0]!.partitions[0]!
  expect(errorCode).toBe(0)
  return { offset, leaderEpoch }
}

it('earliest and a time inside the first epoch: that epoch, 0', async () => {
  expect(await lookUp(-2n)).toEqual({ offset: 0n, leaderEpoch: 0 })
  expect(await lookUp(1001n)).toEqual({ offset: 1n, leaderEpoch: 0 })
})

it('a time inside the second epoch, the largest timestamp and the latest offset: epoch 1', async () => {
  expect(await lookUp(2001n)).toEqual({ offset: 4n, leaderEpoch: 1 })
  expect(await lookUp(-3n)).toEqual({ offset: 4n, leaderEpoch: 1 })
  expect(await lookUp(-1n)).toEqual({ offset: 5n, leaderEpoch: 1 })
})
