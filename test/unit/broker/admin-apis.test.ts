import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { BrokerServer } from '../../../src/broker/broker-server.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { OffsetForLeaderEpoch } from '../../../src/protocol/messages/offset-for-leader-epoch.ts'

let broker: BrokerServer
let cluster: Cluster
let admin: Admin

beforeAll(async () => {
  broker = await BrokerServer.start({ nodes: 2 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'broker-admin' })
  admin = new Admin(cluster)
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function produce(topic: string, partition: number, count: number): Promise<void> {
  const producer = new Producer(cluster, { lingerMs: 0 })
  for (let i = 0; i < count; i++) await producer.send({ topic, partition, value: `v${i}` })
  await producer.close()
}

describe('the in-process broker serving samsa Admin', () => {
  it('describes the cluster, grows a topic, describes its configs and deletes it', async () => {
    const described = await admin.describeCluster()
    expect(described.brokers.map((b) => b.nodeId)).toEqual([0, 1])
    await admin.createTopics([{ topic: 'admin-a', partitions: 1, configs: { 'retention.ms': '1000' } }])
    await admin.createPartitions([{ topic: 'admin-a', count: 3 }])
    expect(broker.state.topics.get('admin-a')!.partitions.length).toBe(3)
    await expect(admin.createPartitions([{ topic: 'admin-a', count: 2 }])).rejects.toThrow(/partitions/i)
    const configs = await admin.describeTopicConfigs('admin-a')
    expect(configs.get('retention.ms')).toMatchObject({ value: '1000', source: 'topic' })
    expect(configs.get('max.message.bytes')).toMatchObject({ value: '1048588', source: 'default' })
    await admin.deleteTopics(['admin-a'])
    expect(await admin.listTopics()).not.toContain('admin-a')
  })

  it('deletes records below an offset, refuses one past the end, and a consumer resets to the new start', async () => {
    await admin.createTopics([{ topic: 'admin-dr', partitions: 1 }])
    await produce('admin-dr', 0, 5)
    const [deleted] = await admin.deleteRecords('admin-dr', [{ partition: 0, offset: 3n }])
    expect(deleted!.lowWatermark).toBe(3n)
    await expect(admin.deleteRecords('admin-dr', [{ partition: 0, offset: 9n }])).rejects.toThrow()
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    consumer.assign([{ topic: 'admin-dr', partition: 0 }])
    const seen: bigint[] = []
    while (seen.length < 2) for (const m of await consumer.poll({ timeoutMs: 200 })) seen.push(m.offset)
    await consumer.close()
    expect(seen).toEqual([3n, 4n])
  })

  it('answers OffsetForLeaderEpoch from the epoch history, before and after a leader move', async () => {
    await admin.createTopics([{ topic: 'admin-epoch', partitions: 1 }])
    await produce('admin-epoch', 0, 3)
    const old = broker.state.topics.partition('admin-epoch', 0)!
    const from = old.leader
    broker.state.topics.moveLeader('admin-epoch', 0, 1 - from)
    await cluster.refreshMetadata(['admin-epoch'])
    await produce('admin-epoch', 0, 2)
    const connection = await cluster.connectionTo(1 - from)
    const ask = async (leaderEpoch: number, currentLeaderEpoch = 1) =>
      (
        await connection.request(OffsetForLeaderEpoch, {
          replicaId: -1,
          topics: [{ topic: 'admin-epoch', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
        })
      ).topics[0]!.partitions[0]!
    expect(await ask(0)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 3n })
    expect(await ask(1)).toMatchObject({ errorCode: 0, leaderEpoch: 1, endOffset: 5n })
    // An epoch the log never had: undefined, as Kafka answers.
    expect(await ask(2)).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n })
    expect(await ask(0, 0)).toMatchObject({ errorCode: 74 })
    expect(await ask(0, 2)).toMatchObject({ errorCode: 75 })
  })

  it('lists, describes and deletes groups', async () => {
    await admin.createTopics([{ topic: 'admin-groups', partitions: 1 }])
    await produce('admin-groups', 0, 2)
    const consumer = new Consumer(cluster, {
      groupId: 'admin-g1',
      groupProtocol: 'classic',
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 200,
    })
    consumer.subscribe(['admin-groups'])
    let got = 0
    while (got < 2) got += (await consumer.poll({ timeoutMs: 200 })).length
    await consumer.commit()
    const listed = await admin.listGroups()
    expect(listed.find((g) => g.groupId === 'admin-g1')).toMatchObject({ state: 'Stable', type: 'classic' })
    const described = await admin.describeGroup('admin-g1')
    expect(described.members.length).toBe(1)
    await expect(admin.deleteGroup('admin-g1')).rejects.toThrow()
    await consumer.close()
    const offsets = await admin.listGroupOffsets('admin-g1')
    expect(offsets.find((o) => o.partition === 0)?.committedOffset).toBe(2n)
    await admin.deleteGroup('admin-g1')
    expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain('admin-g1')
  })
})

describe('the in-process broker, lookups by time and config changes', () => {
  it('finds the first record at or after a time inside a batch, and the record with the largest timestamp', async () => {
    await admin.createTopics([{ topic: 'admin-time', partitions: 1 }])
    const producer = new Producer(cluster, { lingerMs: 50 })
    // One batch whose records carry timestamps 1000, 3000, 2000.
    await producer.sendBatch(
      [1000, 3000, 2000].map((timestamp) => ({
        topic: 'admin-time',
        partition: 0,
        value: `t${timestamp}`,
        timestamp,
      })),
    )
    await producer.close()
    expect(broker.state.topics.partition('admin-time', 0)!.log.batches.length).toBe(1)
    const at = async (timestamp: number) =>
      (await admin.offsetsForTimestamp('admin-time', timestamp)).map((p) => p.offset)
    expect(await at(1500)).toEqual([1n])
    expect(await at(2500)).toEqual([1n])
    expect(await at(500)).toEqual([0n])
    const max = await broker.state.topics.partition('admin-time', 0)!.log.maxTimestamp()
    expect(max).toEqual({ offset: 1n, timestamp: 3000n })
  })

  it('alters topic configs incrementally and refuses unknown config names', async () => {
    await admin.createTopics([{ topic: 'admin-alter', partitions: 1 }])
    await admin.alterTopicConfigs('admin-alter', { set: { 'max.message.bytes': '2048' } })
    expect((await admin.describeTopicConfigs('admin-alter')).get('max.message.bytes')).toMatchObject({
      value: '2048',
      source: 'topic',
    })
    await expect(admin.alterTopicConfigs('admin-alter', { set: { 'no.such.config': '1' } })).rejects.toThrow(
      /Unknown topic config name/,
    )
    await expect(
      admin.createTopics([{ topic: 'admin-bad-config', partitions: 1, configs: { 'no.such.config': '1' } }]),
    ).rejects.toThrow(/Unknown topic config name/)
    await admin.alterTopicConfigs('admin-alter', { delete: ['max.message.bytes'] })
    expect((await admin.describeTopicConfigs('admin-alter')).get('max.message.bytes')?.source).toBe('default')
  })
})
