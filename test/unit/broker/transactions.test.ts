import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ProducerFencedError } from '../../../src/common/errors.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { IsolationLevel } from '../../../src/consumer/consumer-options.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { TransactionVersion } from '../../../src/producer/transactions/types.ts'

let broker: BrokerServer
let cluster: Cluster

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 3 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'broker-txn' })
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function read(topic: string, isolationLevel: IsolationLevel, expected: number): Promise<string[]> {
  const consumer = new Consumer(cluster, { isolationLevel, autoOffsetReset: 'earliest' })
  consumer.assign([{ topic, partition: 0 }])
  const values: string[] = []
  while (values.length < expected) {
    for (const m of await consumer.poll({ timeoutMs: 100 })) values.push(m.value!.toString())
  }
  for (const m of await consumer.poll({ timeoutMs: 100 })) values.push(m.value!.toString())
  await consumer.close()
  return values
}

describe.each([2, 1] as const)(
  'transactions on the in-process broker (version %i)',
  (version: TransactionVersion) => {
    it('hides aborted records from read_committed readers, with the markers in the log', async () => {
      const topic = `txn-visibility-v${version}`
      await new Admin(cluster).createTopics([{ topic, partitions: 1 }])
      const producer = new Producer(cluster, { transactionalId: `t-vis-${version}`, lingerMs: 0 }, version)
      await producer.initTransactions()
      producer.beginTransaction()
      await producer.send({ topic, value: 'aborted-1' })
      await producer.abortTransaction()
      producer.beginTransaction()
      await producer.send({ topic, value: 'committed-1' })
      // Open: a read_committed reader stops before it (the last stable offset).
      const log = broker.state.topics.partition(topic, 0)!
      expect(broker.state.lastStableOffset(log, 1)).toBe(2n)
      await producer.commitTransaction()
      await producer.close()
      expect(broker.state.lastStableOffset(log, 1)).toBe(4n)
      expect(log.log.batches.map((b) => b.control)).toEqual([false, true, false, true])
      expect(await read(topic, 'read_committed', 1)).toEqual(['committed-1'])
      expect(await read(topic, 'read_uncommitted', 2)).toEqual(['aborted-1', 'committed-1'])
    })

    it('commits offsets with the transaction only, and fences a zombie', async () => {
      const topic = `txn-offsets-v${version}`
      await new Admin(cluster).createTopics([{ topic, partitions: 1 }])
      const transactionalId = `t-off-${version}`
      const zombie = new Producer(cluster, { transactionalId, lingerMs: 0 }, version)
      await zombie.initTransactions()
      zombie.beginTransaction()
      await zombie.send({ topic, value: 'x' })
      await zombie.sendOffsetsToTransaction([{ topic, partition: 0, offset: 7n }], {
        groupId: `g-${topic}`,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
      })
      expect(broker.state.groups.offsets.get(`g-${topic}`, topic, 0)).toBeUndefined()
      const successor = new Producer(cluster, { transactionalId, lingerMs: 0 }, version)
      await successor.initTransactions()
      await expect(zombie.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
      expect(broker.state.groups.offsets.get(`g-${topic}`, topic, 0)).toBeUndefined()
      successor.beginTransaction()
      await successor.sendOffsetsToTransaction([{ topic, partition: 0, offset: 9n }], {
        groupId: `g-${topic}`,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
      })
      await successor.commitTransaction()
      expect(broker.state.groups.offsets.get(`g-${topic}`, topic, 0)?.offset).toBe(9n)
      await Promise.all([zombie.close(), successor.close()])
      expect(await read(topic, 'read_committed', 0)).toEqual([])
    })

    it('aborts a transaction that outlives its timeout when the clock advances, fencing its producer', async () => {
      const topic = `txn-timeout-v${version}`
      await new Admin(cluster).createTopics([{ topic, partitions: 1 }])
      const producer = new Producer(
        cluster,
        { transactionalId: `t-timeout-${version}`, lingerMs: 0, transactionTimeoutMs: 60_000 },
        version,
      )
      await producer.initTransactions()
      producer.beginTransaction()
      await producer.send({ topic, value: 'late' })
      broker.state.clock.advance(61_000)
      await expect(producer.commitTransaction()).rejects.toThrow()
      await producer.close()
      expect(await read(topic, 'read_committed', 0)).toEqual([])
    })
  },
)
