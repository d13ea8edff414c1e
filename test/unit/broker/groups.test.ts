import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'

let broker: BrokerServer
let cluster: Cluster

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 2, consumerHeartbeatIntervalMs: 200 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'broker-groups' })
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function topicWith(name: string, partitions: number, perPartition: number): Promise<void> {
  await new Admin(cluster).createTopics([{ topic: name, partitions }])
  const producer = new Producer(cluster, { lingerMs: 1 })
  await producer.sendBatch(
    Array.from({ length: partitions * perPartition }, (_, i) => ({
      topic: name,
      partition: i % partitions,
      value: `v${i}`,
    })),
  )
  await producer.close()
}

async function drain(consumer: Consumer, count: number): Promise<string[]> {
  const values: string[] = []
  while (values.length < count) {
    for (const m of await consumer.poll({ timeoutMs: 200 })) values.push(m.value!.toString())
  }
  return values
}

describe.each(['classic', 'consumer'] as const)('a %s group on the in-process broker', (groupProtocol) => {
  const options = (groupId: string) => ({
    groupId,
    groupProtocol,
    autoOffsetReset: 'earliest' as const,
    ...(groupProtocol === 'classic' && { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200 }),
  })

  it('splits the partitions between two members after a rebalance', async () => {
    const topic = `groups-${groupProtocol}-split`
    await topicWith(topic, 4, 1)
    const a = new Consumer(cluster, options(`g-${topic}`))
    const b = new Consumer(cluster, options(`g-${topic}`))
    a.subscribe([topic])
    await drain(a, 4)
    b.subscribe([topic])
    while (a.assignment().length + b.assignment().length !== 4 || b.assignment().length === 0) {
      await Promise.all([a.poll({ timeoutMs: 100 }), b.poll({ timeoutMs: 100 })])
    }
    expect(a.assignment().length).toBe(2)
    expect(b.assignment().length).toBe(2)
    await Promise.all([a.close(), b.close()])
  })
})

describe.each(['classic', 'consumer'] as const)('committed offsets of a %s group', (groupProtocol) => {
  it('a second member resumes after the first one committed and left', async () => {
    const topic = `resume-${groupProtocol}`
    await topicWith(topic, 2, 3)
    const options = {
      groupId: `g-${topic}`,
      groupProtocol,
      autoOffsetReset: 'earliest' as const,
      enableAutoCommit: false,
      ...(groupProtocol === 'classic' && { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200 }),
    }
    const first = new Consumer(cluster, options)
    first.subscribe([topic])
    expect((await drain(first, 6)).length).toBe(6)
    await first.commit()
    await first.close()
    const producer = new Producer(cluster, { lingerMs: 1 })
    await producer.sendBatch([0, 1].map((partition) => ({ topic, partition, value: `late-${partition}` })))
    await producer.close()
    const second = new Consumer(cluster, options)
    second.subscribe([topic])
    expect((await drain(second, 2)).sort()).toEqual(['late-0', 'late-1'])
    await second.close()
  })
})
