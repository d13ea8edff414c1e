/**
 * KIP-848 static membership on the in-process broker, as Kafka's coordinator keeps it: a static member that
 * leaves (epoch -2) keeps its place and partitions without a new group epoch, a member joining with its
 * instance id takes them over at once, and only when the left member's session runs out (here by advancing
 * the broker clock) do its partitions go to the others.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/index.ts'

const TOPIC = 'static-848'
const GROUP = 'static-848-group'

let broker: TestBroker
let cluster: Cluster

beforeAll(async () => {
  broker = await startTestBroker({ topics: [{ topic: TOPIC, partitions: 2 }] })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'static-members' })
})

afterAll(async () => {
  await cluster.close()
  expect(broker.requestErrors).toEqual([])
  await broker.close()
})

function member(instance: string, assignedLog: number[][] = [], groupId = GROUP): Consumer {
  const consumer = new Consumer(cluster, {
    groupId,
    groupProtocol: 'consumer',
    groupInstanceId: instance,
  })
  consumer.subscribe([TOPIC], {
    onPartitionsAssigned: (partitions) => {
      assignedLog.push(partitions.map((p) => p.partition))
    },
  })
  return consumer
}

const partitionsOf = (consumer: Consumer) => consumer.assignment().map((p) => p.partition)
const describe = () => broker.server.state.consumerGroups.describe(GROUP)!

/** Polls `consumer` until the broker has served one more ConsumerGroupHeartbeat. */
async function heartbeatOf(consumer: Consumer): Promise<void> {
  const served = () =>
    [...broker.server.requestsServed]
      .filter(([key]) => key.startsWith('ConsumerGroupHeartbeat '))
      .reduce((sum, [, n]) => sum + n, 0)
  const before = served()
  await pollUntil([consumer], () => served() > before)
}

async function pollUntil(consumers: Consumer[], done: () => boolean): Promise<void> {
  while (!done()) await Promise.all(consumers.map((c) => c.poll({ timeoutMs: 50 })))
}

it('a static member that leaves keeps its partitions for its instance id until its session ends', async () => {
  const bAssigned: number[][] = []
  const a = member('a')
  const b = member('b', bAssigned)
  await pollUntil([a, b], () => partitionsOf(a).length === 1 && partitionsOf(b).length === 1)
  const held = partitionsOf(a)
  const epoch = describe().groupEpoch

  // A leaves as a static member: its place stays, with epoch -2, and the group epoch does not move.
  await a.close()
  const afterLeave = describe()
  expect(afterLeave.groupEpoch).toBe(epoch)
  expect(afterLeave.members.map((m) => [m.instanceId, m.epoch, m.assigned.length]).sort()).toEqual([
    ['a', -2, 1],
    ['b', afterLeave.assignmentEpoch, 1],
  ])

  // Its return under a new member id takes the same partition back; B's assignment never changed.
  const again = member('a')
  await pollUntil([again, b], () => partitionsOf(again).length === 1)
  expect(partitionsOf(again)).toEqual(held)
  expect(describe().groupEpoch).toBe(epoch)
  expect(describe().members.length).toBe(2)
  expect(bAssigned.flat()).toEqual(partitionsOf(b))

  // Gone for good: once the session (45 s of broker time) runs out, B gets both partitions. The clock moves
  // in steps B heartbeats between, so only the member that left misses its session.
  await again.close()
  for (const step of [20_000, 20_000, 6_000]) {
    broker.advanceClock(step)
    await heartbeatOf(b)
  }
  expect(describe().members.map((m) => m.instanceId)).toEqual(['b'])
  expect(describe().groupEpoch).toBeGreaterThan(epoch)
  await pollUntil([b], () => partitionsOf(b).length === 2)
  expect(bAssigned.flat().sort()).toEqual([0, 1])
  await b.close()
})

it('an instance id still in use is refused to a second member (UNRELEASED_INSTANCE_ID)', async () => {
  const first = member('c', [], `${GROUP}-2`)
  await pollUntil([first], () => partitionsOf(first).length > 0)
  const second = member('c', [], `${GROUP}-2`)
  await expect(
    (async () => {
      for (;;) await second.poll({ timeoutMs: 50 })
    })(),
  ).rejects.toThrow(/UNRELEASED_INSTANCE_ID|instance id c is still in use/)
  await second.close().catch(() => undefined)
  await first.close()
})
