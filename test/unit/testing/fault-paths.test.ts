/**
 * The client's recovery paths driven by the in-process broker's faults, without a JVM: the fetcher after
 * NOT_LEADER_OR_FOLLOWER and slow answers, the sender after Produce answers refused or lost once the records
 * were appended (one node only), classic and KIP-848 membership after a rebalance or fencing signal, and the
 * commit path after a coordinator move and a lost answer.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/index.ts'

let broker: TestBroker
let cluster: Cluster

beforeAll(async () => {
  broker = await startTestBroker({ nodes: 2 })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'fault-paths' })
})

afterAll(async () => {
  await cluster.close()
  expect(broker.requestErrors).toEqual([])
  await broker.close()
})

async function topicWith(topic: string, partitions: number, count: number): Promise<void> {
  broker.createTopic(topic, { partitions })
  const producer = new Producer(cluster, { lingerMs: 1 })
  await producer.sendBatch(
    Array.from({ length: count }, (_, i) => ({ topic, partition: i % partitions, value: `v${i}` })),
  )
  await producer.close()
}

async function read(consumer: Consumer, count: number): Promise<string[]> {
  const values: string[] = []
  while (values.length < count) {
    for (const m of await consumer.poll({ timeoutMs: 100 })) values.push(m.value!.toString())
  }
  return values
}

describe('fetcher', () => {
  it('reads everything through NOT_LEADER_OR_FOLLOWER answers and a slow Fetch', async () => {
    await topicWith('faults-fetch', 2, 20)
    const notLeader = broker.inject({ api: 'Fetch', errorCode: 'NOT_LEADER_OR_FOLLOWER', times: 2 })
    const slow = broker.inject({ api: 'Fetch', delayMs: 300, times: 1 })
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    consumer.assign([0, 1].map((partition) => ({ topic: 'faults-fetch', partition })))
    const values = await read(consumer, 20)
    await consumer.close()
    expect(notLeader.hits).toBe(2)
    expect(slow.hits).toBe(1)
    expect(new Set(values).size).toBe(20)
  })
})

describe('sender', () => {
  it('an idempotent producer retries answers refused or lost after the append: each record stored once, in order', async () => {
    broker.createTopic('faults-send', { partitions: 2 })
    const leaders = [0, 1].map((p) => broker.partition('faults-send', p).leader)
    expect(new Set(leaders).size).toBe(2)
    // Only partition 0's leader misbehaves: its first answer says NOT_LEADER_OR_FOLLOWER and its second is cut
    // off, though both requests appended their records; partition 1's node answers normally.
    const refused = broker.inject({
      api: 'Produce',
      node: leaders[0],
      errorCode: 'NOT_LEADER_OR_FOLLOWER',
      times: 1,
    })
    const producer = new Producer(cluster, { lingerMs: 5, idempotent: true })
    const first = producer.sendBatch(
      Array.from({ length: 10 }, (_, i) => ({ topic: 'faults-send', partition: i % 2, value: `a${i}` })),
    )
    await first
    expect(refused.hits).toBe(1)
    const cut = broker.inject({ api: 'Produce', node: leaders[0], drop: 'response', times: 1 })
    await producer.send({ topic: 'faults-send', partition: 0, value: 'b0' })
    await producer.close()
    expect(cut.hits).toBe(1)
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    consumer.assign([0, 1].map((partition) => ({ topic: 'faults-send', partition })))
    const byPartition: string[][] = [[], []]
    while (byPartition[0]!.length + byPartition[1]!.length < 11) {
      for (const m of await consumer.poll({ timeoutMs: 100 }))
        byPartition[m.partition]!.push(m.value!.toString())
    }
    await consumer.close()
    expect(byPartition).toEqual([
      ['a0', 'a2', 'a4', 'a6', 'a8', 'b0'],
      ['a1', 'a3', 'a5', 'a7', 'a9'],
    ])
    expect([0, 1].map((p) => broker.partition('faults-send', p).logEndOffset)).toEqual([6n, 5n])
  })

  it('a rule for one node applies to requests to that node only', async () => {
    broker.createTopic('faults-node', { partitions: 2 })
    const leaders = [0, 1].map((p) => broker.partition('faults-node', p).leader)
    const onSecond = broker.inject({ api: 'Produce', node: leaders[1], delayMs: 1 })
    const producer = new Producer(cluster, { lingerMs: 0 })
    await producer.send({ topic: 'faults-node', partition: 0, value: 'to the first node' })
    expect(onSecond.hits).toBe(0)
    await producer.send({ topic: 'faults-node', partition: 1, value: 'to the second node' })
    expect(onSecond.hits).toBe(1)
    onSecond.remove()
    await producer.close()
  })
})

describe('membership', () => {
  it('classic: a heartbeat answered REBALANCE_IN_PROGRESS makes the member rejoin into a new generation', async () => {
    await topicWith('faults-classic', 2, 4)
    const consumer = new Consumer(cluster, {
      groupId: 'faults-classic-group',
      groupProtocol: 'classic',
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 100,
    })
    consumer.subscribe(['faults-classic'])
    await read(consumer, 4)
    const group = broker.server.state.groups.classic('faults-classic-group')!
    const generation = group.generationId
    const signal = broker.inject({ api: 'Heartbeat', errorCode: 'REBALANCE_IN_PROGRESS', times: 1 })
    while (group.generationId === generation || group.state !== 'Stable')
      await consumer.poll({ timeoutMs: 100 })
    expect(signal.hits).toBe(1)
    expect(group.generationId).toBe(generation + 1)
    expect(consumer.assignment().length).toBe(2)
    await consumer.close()
  })

  it('KIP-848: a member fenced by its heartbeat rejoins with epoch 0 and gets its partitions back', async () => {
    await topicWith('faults-848', 2, 4)
    const consumer = new Consumer(cluster, {
      groupId: 'faults-848-group',
      groupProtocol: 'consumer',
      autoOffsetReset: 'earliest',
    })
    consumer.subscribe(['faults-848'])
    await read(consumer, 4)
    const before = broker.server.state.consumerGroups.describe('faults-848-group')!
    const fenced = broker.inject({
      api: 'ConsumerGroupHeartbeat',
      errorCode: 'FENCED_MEMBER_EPOCH',
      times: 1,
    })
    for (;;) {
      await consumer.poll({ timeoutMs: 100 })
      const now = broker.server.state.consumerGroups.describe('faults-848-group')!
      if (fenced.hits === 1 && now.groupEpoch > before.groupEpoch && consumer.assignment().length === 2) break
    }
    await consumer.close()
  })
})

describe('session timeouts on the broker clock', () => {
  it('KIP-848: a member whose heartbeats stop is expired when the clock passes its session; it then rejoins and gets its partitions back', async () => {
    await topicWith('faults-848-session', 2, 4)
    const lost: number[] = []
    const consumer = new Consumer(cluster, {
      groupId: 'faults-848-session-group',
      groupProtocol: 'consumer',
      autoOffsetReset: 'earliest',
    })
    consumer.subscribe(['faults-848-session'], {
      onPartitionsLost: (partitions) => {
        for (const p of partitions) lost.push(p.partition)
      },
    })
    await read(consumer, 4)
    const groups = broker.server.state.consumerGroups
    const before = groups.describe('faults-848-session-group')!
    expect(before.members.length).toBe(1)
    // Heartbeats no longer arrive; 46 s of broker time pass the 45 s session at once.
    const silenced = broker.inject({ api: 'ConsumerGroupHeartbeat', drop: 'request' })
    broker.advanceClock(46_000)
    const expired = groups.describe('faults-848-session-group')!
    expect(expired.members).toEqual([])
    expect(expired.groupEpoch).toBeGreaterThan(before.groupEpoch)
    silenced.remove()
    while (consumer.assignment().length < 2 || lost.length === 0) await consumer.poll({ timeoutMs: 100 })
    expect(lost.sort()).toEqual([0, 1])
    expect(groups.describe('faults-848-session-group')!.members.length).toBe(1)
    await consumer.close()
  })
})

describe('commits', () => {
  it('a commit answered NOT_COORDINATOR is retried and lands; one cut off mid-answer has taken effect', async () => {
    await topicWith('faults-commit', 1, 3)
    const moved = broker.inject({ api: 'OffsetCommit', errorCode: 'NOT_COORDINATOR', times: 1 })
    const consumer = new Consumer(cluster, {
      groupId: 'faults-commit-group',
      groupProtocol: 'classic',
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 200,
    })
    consumer.subscribe(['faults-commit'])
    await read(consumer, 3)
    await consumer.commit([{ topic: 'faults-commit', partition: 0, offset: 2n }])
    expect(moved.hits).toBe(1)
    const cut = broker.inject({ api: 'OffsetCommit', drop: 'response', times: 1 })
    await consumer.commit([{ topic: 'faults-commit', partition: 0, offset: 3n }]).catch(() => undefined)
    expect(cut.hits).toBe(1)
    await consumer.close()
    expect(broker.committedOffsets('faults-commit-group').map((c) => c.offset)).toEqual([3n])
  })
})
