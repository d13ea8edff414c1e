import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { BrokerError, ConfigError } from '../../../src/common/errors.ts'
import { getOffsetShell, producerPerformance } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { rejection } from '../../../src/testing/rejection.ts'

let cluster: Cluster
let admin: Admin

beforeAll(() => {
  cluster = Cluster.create({ bootstrap: kafkaBootstrap(), clientId: 'admin-test' })
  admin = new Admin(cluster)
})

afterAll(async () => {
  await cluster.close()
})

describe('Admin topics', () => {
  it('creates a topic that is immediately usable, describes, lists and deletes it', async () => {
    const topic = uniqueName('admin-create')
    const [created] = await admin.createTopics([
      { topic, partitions: 4, configs: { 'cleanup.policy': 'compact' } },
    ])
    expect(created).toMatchObject({ topic, created: true })
    expect(created?.topicId).toMatch(/^[0-9a-f-]{36}$/)
    expect(created?.topicId).not.toBe('00000000-0000-0000-0000-000000000000')

    const [description] = await admin.describeTopics([topic])
    expect(description).toMatchObject({ name: topic, topicId: created?.topicId, isInternal: false })
    expect(description?.partitions.map((partition) => partition.partition)).toEqual([0, 1, 2, 3])
    for (const partition of description?.partitions ?? []) {
      expect(partition.leader).toBeGreaterThanOrEqual(0)
      expect(partition.replicas).toEqual([partition.leader])
      expect(partition.isr).toEqual([partition.leader])
      expect(partition.offlineReplicas).toEqual([])
    }
    expect(await admin.listTopics()).toContain(topic)
    expect((await admin.describeTopicConfigs(topic)).get('cleanup.policy')).toMatchObject({
      value: 'compact',
      source: 'topic',
    })

    await admin.deleteTopics([topic])
    expect(await admin.listTopics()).not.toContain(topic)
    // The name is free again at once.
    await admin.createTopics([{ topic }])
    await admin.deleteTopics([topic])
  })

  it('throws TOPIC_ALREADY_EXISTS naming the topic, or skips it with ifNotExists', async () => {
    const topic = uniqueName('admin-exists')
    await admin.createTopics([{ topic, partitions: 2 }])
    const error = await rejection(admin.createTopics([{ topic }]))
    expect(error).toBeInstanceOf(BrokerError)
    expect(error).toMatchObject({ code: 36, errorName: 'TOPIC_ALREADY_EXISTS', topic })
    expect((error as Error).message).toContain(topic)

    const other = uniqueName('admin-exists-other')
    const results = await admin.createTopics([{ topic }, { topic: other }], { ifNotExists: true })
    expect(results.map((result) => [result.topic, result.created])).toEqual([
      [topic, false],
      [other, true],
    ])
    // The existing topic was left as it was.
    expect((await admin.describeTopics([topic]))[0]?.partitions).toHaveLength(2)
    await admin.deleteTopics([topic, other])
  })

  it('reports an impossible replication factor with the topic and creates nothing for validateOnly', async () => {
    const topic = uniqueName('admin-rf')
    const error = await rejection(admin.createTopics([{ topic, replicationFactor: 3 }]))
    expect(error).toMatchObject({ errorName: 'INVALID_REPLICATION_FACTOR', topic })

    const [validated] = await admin.createTopics([{ topic, partitions: 2 }], { validateOnly: true })
    expect(validated).toMatchObject({ topic, created: false })
    expect(await admin.listTopics()).not.toContain(topic)
  })

  it('validates arguments before sending anything', async () => {
    await expect(admin.createTopics([{ topic: 'bad/name' }])).rejects.toThrow(ConfigError)
    await expect(admin.createTopics([{ topic: 'ok', partitions: 0 }])).rejects.toMatchObject({
      option: 'topics[0].partitions',
    })
    await expect(admin.createTopics([{ topic: 'ok', replicationFactor: -1 }])).rejects.toMatchObject({
      option: 'topics[0].replicationFactor',
    })
    await expect(admin.deleteTopics([])).rejects.toMatchObject({ option: 'names' })
  })

  it('fails to describe or delete an unknown topic, naming it', async () => {
    const missing = uniqueName('admin-missing')
    const described = await rejection(admin.describeTopics([missing]))
    expect(described).toMatchObject({ code: 3, topic: missing })
    const deleted = await rejection(admin.deleteTopics([missing]))
    expect(deleted).toMatchObject({ code: 3, topic: missing })
    await admin.deleteTopics([missing], { ifExists: true })
  })

  it('adds partitions and alters configs', async () => {
    const topic = uniqueName('admin-grow')
    await admin.createTopics([{ topic, partitions: 1 }])
    await admin.createPartitions([{ topic, count: 3 }])
    const [described] = await admin.describeTopics([topic])
    expect(described?.partitions.map((partition) => partition.partition)).toEqual([0, 1, 2])
    await expect(admin.createPartitions([{ topic, count: 2 }])).rejects.toMatchObject({
      errorName: 'INVALID_PARTITIONS',
      topic,
    })

    await admin.alterTopicConfigs(topic, { set: { 'retention.ms': '123456' } })
    expect((await admin.describeTopicConfigs(topic)).get('retention.ms')).toMatchObject({
      value: '123456',
      source: 'topic',
    })
    await admin.alterTopicConfigs(topic, { delete: ['retention.ms'] })
    expect((await admin.describeTopicConfigs(topic)).get('retention.ms')?.source).not.toBe('topic')
    await admin.deleteTopics([topic])
  })
})

describe('Admin cluster and offsets', () => {
  it('describes the cluster', async () => {
    const description = await admin.describeCluster()
    expect(description.clusterId).not.toBe('')
    expect(description.brokers.length).toBeGreaterThan(0)
    const [host, port] = kafkaBootstrap().split(',')[0]!.split(':')
    expect(description.brokers.some((broker) => broker.port === Number(port) && broker.host !== '')).toBe(
      true,
    )
    expect(host).toBeDefined()
  })

  it('lists earliest and latest offsets that agree with the Java GetOffsetShell, and deletes records', async () => {
    const topic = uniqueName('admin-offsets')
    await admin.createTopics([{ topic, partitions: 2 }])
    expect(await admin.listOffsets(topic)).toEqual([
      { partition: 0, earliest: 0n, latest: 0n },
      { partition: 1, earliest: 0n, latest: 0n },
    ])

    const before = Date.now()
    await producerPerformance({ bootstrap: kafkaBootstrap(), topic, numRecords: 1000, recordSize: 10 })
    const javaLatest = await getOffsetShell({ bootstrap: kafkaBootstrap(), topic })
    const offsets = await admin.listOffsets(topic)
    expect(offsets.map((entry) => entry.latest)).toEqual([javaLatest.get(0), javaLatest.get(1)])
    expect(offsets.reduce((sum, entry) => sum + entry.latest, 0n)).toBe(1000n)

    const byTime = await admin.offsetsForTimestamp(topic, before)
    for (const entry of byTime) {
      const latest = offsets.find((offset) => offset.partition === entry.partition)!.latest
      // Every record is newer than `before`, so each partition's answer is its first offset, 0 (an empty
      // partition answers with its log end, also 0).
      expect(entry.offset).toBe(0n)
      if (latest > 0n) expect(entry.timestamp).toBeGreaterThanOrEqual(before)
    }
    const future = await admin.offsetsForTimestamp(topic, Date.now() + 3_600_000)
    expect(future.map((entry) => entry.offset)).toEqual(offsets.map((entry) => entry.latest))
    expect(future.every((entry) => entry.timestamp === -1)).toBe(true)

    const busiest = offsets.reduce((a, b) => (b.latest > a.latest ? b : a))
    const [deleted] = await admin.deleteRecords(topic, [{ partition: busiest.partition, offset: 5n }])
    expect(deleted).toEqual({ partition: busiest.partition, lowWatermark: 5n })
    const after = await admin.listOffsets(topic)
    expect(after.find((entry) => entry.partition === busiest.partition)?.earliest).toBe(5n)
    await admin.deleteTopics([topic])
  })
})
