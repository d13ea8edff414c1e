import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import type { Cluster } from '../../../src/cluster/cluster.ts'
import { BrokerError, ConfigError, IllegalStateError, KafkaError } from '../../../src/common/errors.ts'
import {
  consoleShareConsume,
  type RunningShareConsumer,
  shareGroupList,
  shareGroupMembers,
  shareGroupOffsets,
  shareGroupState,
  startConsoleShareConsumer,
} from '../../../src/testing/java-share-tools.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { rejection } from '../../../src/testing/rejection.ts'
import { groupName, newCluster, topicWithRecords } from '../offsets/offsets-kit.ts'

let cluster: Cluster
let admin: Admin

beforeAll(() => {
  cluster = newCluster()
  admin = new Admin(cluster)
})

afterAll(async () => {
  await cluster.close()
})

/** Polls `check` every 250 ms until it returns a value, failing with `what` after 45 s. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 45_000
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

const PARTITIONS = 3
const PER_PARTITION = 8

describe('a share group with a member (Kafka console share consumer)', () => {
  let topic: string
  let group: string
  let member: RunningShareConsumer | undefined

  beforeAll(async () => {
    topic = await topicWithRecords('share-admin', PARTITIONS, PER_PARTITION)
    group = groupName('share')
    // Set before the group exists: the member then starts from the log start instead of the log end.
    await admin.alterGroupConfigs(group, { set: { 'share.auto.offset.reset': 'earliest' } })
    member = await startConsoleShareConsumer({ bootstrap: kafkaBootstrap(), topic, group })
    // Every record delivered and accepted. The start offsets need not have moved (the broker advances them
    // lazily), but the lag it computes counts only records not yet finished with.
    await until('the member to finish every record', async () => {
      if (member?.values().length !== PARTITIONS * PER_PARTITION) return undefined
      const offsets = await admin.listShareGroupOffsets(group)
      const done = offsets.length === PARTITIONS && offsets.every((row) => row.lag === 0n)
      return done ? true : undefined
    })
  })

  afterAll(async () => {
    await member?.stop()
  })

  it('reads and sets share.auto.offset.reset as a group config', async () => {
    const configs = await admin.describeGroupConfigs(group)
    expect(configs.get('share.auto.offset.reset')).toMatchObject({ value: 'earliest', source: 'group' })
    // Inherited settings come with the broker's default as their source.
    expect(configs.get('share.record.lock.duration.ms')?.source).toBe('default')
    expect(member?.values()).toHaveLength(PARTITIONS * PER_PARTITION)

    const bad = await rejection(
      admin.alterGroupConfigs(group, { set: { 'share.auto.offset.reset': 'sometimes' } }),
    )
    expect(bad).toBeInstanceOf(BrokerError)
    expect((bad as BrokerError).code).toBe(40)
  })

  it('lists it as Kafka’s tool does, and only among share groups', async () => {
    const listed = await admin.listShareGroups()
    expect(listed.find((entry) => entry.groupId === group)).toEqual({ groupId: group, state: 'Stable' })
    expect((await shareGroupList(kafkaBootstrap())).get(group)).toBe('Stable')
    expect((await admin.listShareGroups({ states: ['Empty'] })).map((entry) => entry.groupId)).not.toContain(
      group,
    )
    expect(
      (await admin.listGroups({ types: ['share'] })).find((entry) => entry.groupId === group),
    ).toMatchObject({ type: 'share', protocolType: 'share', state: 'Stable' })
    expect((await admin.listGroups({ types: ['consumer'] })).map((entry) => entry.groupId)).not.toContain(
      group,
    )
  })

  it('describes its state, epochs and members row for row with kafka-share-groups --describe', async () => {
    const description = await admin.describeShareGroup(group)
    expect(description).toMatchObject({ groupId: group, state: 'Stable', assignor: 'simple' })
    expect(description.members).toHaveLength(1)
    const [only] = description.members
    expect(only!.subscribedTopics).toEqual([topic])
    expect(only!.assignment).toEqual([0, 1, 2].map((partition) => ({ topic, partition })))

    const state = await shareGroupState(kafkaBootstrap(), group)
    expect(state).toEqual({
      coordinatorId: description.coordinator,
      state: description.state,
      groupEpoch: description.groupEpoch,
      assignmentEpoch: description.assignmentEpoch,
      members: 1,
    })
    const javaMembers = await shareGroupMembers(kafkaBootstrap(), group)
    expect(
      description.members.map((entry) => ({
        consumerId: entry.memberId,
        host: entry.clientHost,
        clientId: entry.clientId,
        partitions: entry.assignment.length,
        memberEpoch: entry.memberEpoch,
        assignment: `${topic}:${entry.assignment.map((tp) => tp.partition).join(',')}`,
      })),
    ).toEqual(javaMembers)
  })

  it('reports start offsets, leader epochs and lag row for row with kafka-share-groups --describe', async () => {
    const ours = await admin.listShareGroupOffsets(group)
    const java = await shareGroupOffsets(kafkaBootstrap(), group)
    expect(java).toHaveLength(PARTITIONS)
    expect(ours).toEqual(java)
    expect(ours.map((row) => row.lag)).toEqual([0n, 0n, 0n])
    for (const row of ours) expect(row.startOffset).not.toBeNull()
    expect(await admin.listShareGroupOffsets(group, { topics: [topic] })).toEqual(ours)
  })

  it('refuses to move or delete anything while the member is active', async () => {
    const before = await admin.listShareGroupOffsets(group)
    const reset = await rejection(admin.resetShareGroupOffsets(group, { topic, to: 'earliest' }))
    expect(reset).toBeInstanceOf(IllegalStateError)
    expect((reset as Error).message).toMatch(
      new RegExp(`share group "${group}" while it has 1 active member`),
    )
    const alter = await rejection(admin.alterShareGroupOffsets(group, [{ topic, partition: 0, offset: 0n }]))
    expect(alter).toBeInstanceOf(IllegalStateError)
    expect(await rejection(admin.deleteShareGroupOffsets(group, [topic]))).toBeInstanceOf(IllegalStateError)
    const deleted = await rejection(admin.deleteShareGroup(group))
    expect(deleted).toBeInstanceOf(BrokerError)
    expect((deleted as BrokerError).code).toBe(68)
    // Nothing moved.
    expect(await admin.listShareGroupOffsets(group)).toEqual(before)
  })

  it('once empty: resets (dry run first), deletes offsets and deletes the group', async () => {
    await member?.stop()
    member = undefined
    await until('the group to be Empty', async () =>
      (await admin.describeShareGroup(group)).state === 'Empty' ? true : undefined,
    )

    const before = await admin.listShareGroupOffsets(group)
    const planned = await admin.resetShareGroupOffsets(group, { topic, partitions: [0, 2], to: 'earliest' })
    expect(planned).toEqual([
      { topic, partition: 0, previousOffset: before[0]!.startOffset, newOffset: 0n },
      { topic, partition: 2, previousOffset: before[2]!.startOffset, newOffset: 0n },
    ])
    expect(await shareGroupOffsets(kafkaBootstrap(), group)).toEqual(before)

    await admin.resetShareGroupOffsets(group, { topic, partitions: [0, 2], to: 'earliest', dryRun: false })
    await admin.alterShareGroupOffsets(group, [{ topic, partition: 1, offset: 5n }])
    const java = await shareGroupOffsets(kafkaBootstrap(), group)
    expect(java.map((row) => [row.partition, row.startOffset, row.lag])).toEqual([
      [0, 0n, 8n],
      [1, 5n, 3n],
      [2, 0n, 8n],
    ])
    expect(await admin.listShareGroupOffsets(group)).toEqual(java)

    // A new member gets exactly the records the reset made available again.
    const again = await consoleShareConsume({ bootstrap: kafkaBootstrap(), topic, group, maxMessages: 19 })
    expect(again.sort()).toEqual(
      [
        ...Array.from({ length: 8 }, (_, i) => `p0-${i}`),
        ...Array.from({ length: 3 }, (_, i) => `p1-${i + 5}`),
        ...Array.from({ length: 8 }, (_, i) => `p2-${i}`),
      ].sort(),
    )
    await until('the second member to leave', async () =>
      (await admin.describeShareGroup(group)).members.length === 0 ? true : undefined,
    )

    await admin.deleteShareGroupOffsets(group, [topic])
    expect(await shareGroupOffsets(kafkaBootstrap(), group)).toEqual([])

    await admin.deleteShareGroup(group)
    expect((await admin.listShareGroups()).map((entry) => entry.groupId)).not.toContain(group)
    const gone = await rejection(admin.describeShareGroup(group))
    expect(gone).toBeInstanceOf(BrokerError)
    expect((gone as BrokerError).code).toBe(69)
  }, 120_000) // three JVMs (Kafka's tools): ~8 s on an idle runner, ~50 s on a loaded one
})

describe('share-group admin calls', () => {
  it('fail with GROUP_ID_NOT_FOUND for a group that does not exist', async () => {
    const group = groupName('no-share')
    const calls = [
      () => admin.describeShareGroup(group),
      () => admin.listShareGroupOffsets(group),
      () => admin.deleteShareGroup(group),
    ]
    for (const call of calls) {
      const error = await rejection(call())
      expect(error).toBeInstanceOf(KafkaError)
      expect((error as KafkaError).code).toBe(69)
    }
  })

  it('create a group by setting its start offsets, and report an unknown topic without retrying', async () => {
    const topic = await topicWithRecords('share-admin-new', 2, 8)
    const group = groupName('share-new')
    const plan = await admin.resetShareGroupOffsets(group, { topic, to: { offset: 2n }, dryRun: false })
    expect(plan).toEqual([
      { topic, partition: 0, previousOffset: null, newOffset: 2n },
      { topic, partition: 1, previousOffset: null, newOffset: 2n },
    ])
    expect(await admin.describeShareGroup(group)).toMatchObject({ state: 'Empty', members: [] })
    expect(await shareGroupOffsets(kafkaBootstrap(), group)).toEqual([
      { topic, partition: 0, leaderEpoch: 0, startOffset: 2n, lag: 6n },
      { topic, partition: 1, leaderEpoch: 0, startOffset: 2n, lag: 6n },
    ])
    // Clamped to the log's range, as by samsa groups reset-offsets.
    const clamped = await admin.resetShareGroupOffsets(group, { topic, partitions: [1], to: { offset: 99n } })
    expect(clamped).toEqual([{ topic, partition: 1, previousOffset: 2n, newOffset: 8n }])

    // UNKNOWN_TOPIC_OR_PARTITION is a retriable code; it must surface at once, not after the retry budget.
    const unknown = await rejection(
      admin.alterShareGroupOffsets(group, [{ topic: `${topic}-missing`, partition: 0, offset: 0n }]),
    )
    expect(unknown).toBeInstanceOf(BrokerError)
    expect((unknown as BrokerError).code).toBe(3)
    expect((unknown as BrokerError).topic).toBe(`${topic}-missing`)

    // The consumer-group calls see no such group; they say what it is instead.
    const asConsumerGroup = [
      () => admin.describeGroup(group),
      () => admin.listGroupOffsets(group),
      () => admin.resetGroupOffsets(group, { topic, to: 'earliest', dryRun: false }),
    ]
    for (const call of asConsumerGroup) {
      const error = await rejection(call())
      expect((error as KafkaError).code).toBe(69)
      expect((error as Error).message).toContain(`group "${group}" is a share group, not a consumer group`)
    }
    await admin.deleteShareGroup(group)
  }, 120_000)

  it('validate their arguments before sending anything, naming the bad option', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => admin.describeShareGroup(''), 'groupId'],
      [() => admin.listShareGroups({ states: [''] }), 'states'],
      [() => admin.listShareGroups({ bogus: 1 } as never), 'bogus'],
      [() => admin.resetShareGroupOffsets('g', { topic: 't', to: 'start' as never }), 'to'],
      [() => admin.resetShareGroupOffsets('g', { topic: 't', to: { shiftBy: 1n } as never }), 'to'],
      [
        () => admin.resetShareGroupOffsets('g', { topic: 't', to: 'earliest', dryRun: 'no' as never }),
        'dryRun',
      ],
      [() => admin.resetShareGroupOffsets('g', { topic: 't', to: 'earliest', partitions: [] }), 'partitions'],
      [() => admin.alterShareGroupOffsets('g', []), 'offsets'],
      [
        () => admin.alterShareGroupOffsets('g', [{ topic: 't', partition: 0, offset: -1n }]),
        'offsets[0].offset',
      ],
      [() => admin.deleteShareGroupOffsets('g', []), 'topics'],
      [() => admin.alterGroupConfigs('g', {}), 'change'],
    ]
    for (const [call, option] of cases) {
      const error = await rejection(call())
      expect(error, option).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).option).toBe(option)
    }
  })
})
