import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import type { GroupDescription } from '../../../src/admin/group-types.ts'
import type { Cluster } from '../../../src/cluster/cluster.ts'
import { ConfigError, IllegalStateError, KafkaError } from '../../../src/common/errors.ts'
import type { Consumer } from '../../../src/consumer/consumer.ts'
import { consumerGroupDescribe } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { rejection } from '../../../src/testing/rejection.ts'
import { produceBatch } from '../consumer/consumer-kit.ts'
import {
  groupName,
  newCluster,
  pollAtLeast,
  TestConsumers,
  topicWithRecords,
} from '../offsets/offsets-kit.ts'

let cluster: Cluster
let admin: Admin
const consumers = new TestConsumers()

beforeAll(() => {
  cluster = newCluster()
  admin = new Admin(cluster)
})

afterEach(async () => {
  await consumers.closeAll()
})

afterAll(async () => {
  await cluster.close()
})

/** Polls every member until their assignments together cover `partitions` partitions. */
async function untilAssigned(members: Consumer[], partitions: number): Promise<void> {
  const deadline = Date.now() + 45_000
  for (;;) {
    await Promise.all(members.map((member) => member.poll({ timeoutMs: 200 })))
    const owned = members.reduce((sum, member) => sum + member.assignment().length, 0)
    if (owned === partitions && members.every((member) => member.assignment().length > 0)) return
    if (Date.now() > deadline) throw new Error(`members own ${owned} of ${partitions} partitions`)
  }
}

/** Members' partitions as `topic-partition` strings, sorted. */
function ownedPartitions(description: GroupDescription): string[] {
  return description.members
    .flatMap((member) => member.assignment.map((tp) => `${tp.topic}-${tp.partition}`))
    .sort()
}

/** A group that committed `offsets` (per partition) and has no members left. */
async function emptyGroupWithCommits(topic: string, offsets: bigint[]): Promise<string> {
  const group = groupName('admin')
  const consumer = consumers.create({ groupId: group, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  consumer.subscribe([topic])
  await untilAssigned([consumer], offsets.length)
  await consumer.commit(offsets.map((offset, partition) => ({ topic, partition, offset })))
  await consumers.close(consumer)
  return group
}

async function javaOffsets(group: string): Promise<Map<number, bigint | null>> {
  const rows = await consumerGroupDescribe({ bootstrap: kafkaBootstrap(), group })
  return new Map(rows.map((row) => [row.partition, row.currentOffset]))
}

describe.each(['classic', 'consumer'] as const)('describing a %s group with members', (protocol) => {
  it('lists it with its type and state, and describes its members, assignment and assignor', async () => {
    const topic = await topicWithRecords(`groups-${protocol}`, 4, 5)
    const group = groupName(protocol)
    const members = [0, 1].map(() => {
      const consumer = consumers.create({
        groupId: group,
        groupProtocol: protocol,
        autoOffsetReset: 'earliest',
      })
      consumer.subscribe([topic])
      return consumer
    })
    await untilAssigned(members, 4)

    const listed = (await admin.listGroups()).find((entry) => entry.groupId === group)
    expect(listed).toMatchObject({
      groupId: group,
      type: protocol,
      protocolType: 'consumer',
      state: 'Stable',
    })
    expect((await admin.listGroups({ types: [protocol] })).map((entry) => entry.groupId)).toContain(group)
    const otherType = protocol === 'classic' ? 'consumer' : 'classic'
    expect((await admin.listGroups({ types: [otherType] })).map((entry) => entry.groupId)).not.toContain(
      group,
    )

    const description = await admin.describeGroup(group)
    expect(description).toMatchObject({
      groupId: group,
      type: protocol,
      protocolType: 'consumer',
      state: 'Stable',
    })
    expect(description.assignor).not.toBe('')
    expect(description.coordinator).toBeGreaterThanOrEqual(0)
    expect(description.members).toHaveLength(2)
    for (const member of description.members) {
      expect(member.clientId).not.toBe('')
      expect(member.clientHost).toMatch(/127\.0\.0\.1/)
      expect(member.assignment.length).toBeGreaterThan(0)
    }
    // Every partition owned exactly once, and as the members themselves see it.
    expect(ownedPartitions(description)).toEqual([0, 1, 2, 3].map((partition) => `${topic}-${partition}`))
    const seenByMembers = members
      .flatMap((member) => member.assignment().map((tp) => `${tp.topic}-${tp.partition}`))
      .sort()
    expect(ownedPartitions(description)).toEqual(seenByMembers)
  })
})

describe('group offsets and lag', () => {
  it('equal what kafka-consumer-groups --describe prints, committed and assigned-but-uncommitted alike', async () => {
    const topic = await topicWithRecords('groups-lag', 3, 10)
    const group = groupName('lag')
    const consumer = consumers.create({
      groupId: group,
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
    })
    consumer.subscribe([topic])
    await untilAssigned([consumer], 3)
    // Partition 2 stays uncommitted: both tools show it with no current offset and no lag.
    await consumer.commit([
      { topic, partition: 0, offset: 4n },
      { topic, partition: 1, offset: 10n },
    ])

    const ours = await admin.listGroupOffsets(group)
    const java = await consumerGroupDescribe({ bootstrap: kafkaBootstrap(), group })
    expect(java).toHaveLength(3)
    expect(
      ours.map((row) => [row.topic, row.partition, row.committedOffset, row.logEndOffset, row.lag]),
    ).toEqual(java.map((row) => [row.topic, row.partition, row.currentOffset, row.logEndOffset, row.lag]))
    expect(ours.map((row) => row.lag)).toEqual([6n, 0n, null])
    expect(ours.map((row) => row.memberId)).toEqual(java.map((row) => row.consumerId))
  })

  it('fails for a group that does not exist, naming it', async () => {
    const group = groupName('missing')
    const error = await rejection(admin.listGroupOffsets(group))
    expect(error).toBeInstanceOf(KafkaError)
    expect(error).toMatchObject({ code: 69 })
    expect((error as Error).message).toContain(group)
    expect(await rejection(admin.describeGroup(group))).toMatchObject({ code: 69 })
  })
})

describe('resetGroupOffsets', () => {
  const forms = [
    { name: 'earliest', to: 'earliest' as const, expected: [2n, 2n] },
    { name: 'latest', to: 'latest' as const, expected: [10n, 10n] },
    { name: 'offset', to: { offset: 7n }, expected: [7n, 7n] },
    { name: 'offset beyond the end (clamped)', to: { offset: 500n }, expected: [10n, 10n] },
    { name: 'shiftBy back', to: { shiftBy: -3n }, expected: [2n, 5n] },
    { name: 'shiftBy forward (clamped)', to: { shiftBy: 4n }, expected: [9n, 10n] },
  ]

  it.each(forms)(
    'to $name: a dry run changes nothing, an execution commits what it planned',
    async ({ to, expected }) => {
      const topic = await topicWithRecords('groups-reset', 2, 10)
      // Log start 2 in both partitions, so "earliest" and clamping are visible.
      await admin.deleteRecords(topic, [
        { partition: 0, offset: 2n },
        { partition: 1, offset: 2n },
      ])
      const group = await emptyGroupWithCommits(topic, [5n, 8n])

      const planned = await admin.resetGroupOffsets(group, { topic, to })
      expect(planned.map((reset) => [reset.partition, reset.previousOffset, reset.newOffset])).toEqual([
        [0, 5n, expected[0]],
        [1, 8n, expected[1]],
      ])
      expect(await javaOffsets(group)).toEqual(
        new Map([
          [0, 5n],
          [1, 8n],
        ]),
      )

      const done = await admin.resetGroupOffsets(group, { topic, to, dryRun: false })
      expect(done).toEqual(planned)
      expect(await javaOffsets(group)).toEqual(
        new Map([
          [0, expected[0]],
          [1, expected[1]],
        ]),
      )
    },
  )

  it('to a timestamp: the first record at or after it; a samsa consumer resumes there', async () => {
    const topic = await topicWithRecords('groups-reset-time', 1, 3)
    const middle = Date.now() + 5
    await new Promise((resolve) => setTimeout(resolve, 20))
    const producerCluster = newCluster()
    try {
      await produceBatch(producerCluster, topic, 0, [
        { value: 'late-0', timestamp: Date.now() },
        { value: 'late-1', timestamp: Date.now() },
      ])
    } finally {
      await producerCluster.close()
    }
    const group = await emptyGroupWithCommits(topic, [0n])

    const [reset] = await admin.resetGroupOffsets(group, { topic, to: { timestamp: middle }, dryRun: false })
    expect(reset).toMatchObject({ partition: 0, previousOffset: 0n, newOffset: 3n })
    expect(await javaOffsets(group)).toEqual(new Map([[0, 3n]]))

    const resumed = consumers.create({ groupId: group, autoOffsetReset: 'earliest', enableAutoCommit: false })
    resumed.subscribe([topic])
    const messages = await pollAtLeast(resumed, 2)
    expect(messages.map((message) => [message.offset, message.value?.toString()])).toEqual([
      [3n, 'late-0'],
      [4n, 'late-1'],
    ])
  })

  it('may reset a topic the group never committed, and a group that does not exist yet', async () => {
    const topic = await topicWithRecords('groups-reset-new', 2, 4)
    const group = groupName('fresh')
    const done = await admin.resetGroupOffsets(group, {
      topic,
      to: { offset: 1n },
      partitions: [1],
      dryRun: false,
    })
    expect(done).toEqual([{ topic, partition: 1, previousOffset: null, newOffset: 1n }])
    expect(await javaOffsets(group)).toEqual(new Map([[1, 1n]]))
  })

  it('is refused while the group has members, naming the group and how many', async () => {
    const topic = await topicWithRecords('groups-reset-active', 1, 3)
    const group = groupName('active')
    const member = consumers.create({ groupId: group, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    member.subscribe([topic])
    await untilAssigned([member], 1)
    await member.commit([{ topic, partition: 0, offset: 2n }])

    for (const dryRun of [true, false]) {
      const error = await rejection(admin.resetGroupOffsets(group, { topic, to: 'earliest', dryRun }))
      expect(error).toBeInstanceOf(IllegalStateError)
      expect((error as Error).message).toContain(`group "${group}"`)
      expect((error as Error).message).toContain('1 active member')
    }
    expect(await javaOffsets(group)).toEqual(new Map([[0, 2n]]))

    // Once the member has left, the same reset goes through.
    await consumers.close(member)
    await admin.resetGroupOffsets(group, { topic, to: 'earliest', dryRun: false })
    expect(await javaOffsets(group)).toEqual(new Map([[0, 0n]]))
  })

  it('rejects bad arguments before touching the group, naming the option', async () => {
    const topic = await topicWithRecords('groups-reset-bad', 1, 1)
    const group = await emptyGroupWithCommits(topic, [1n])
    const cases: Array<[unknown, string]> = [
      [{ topic, to: { offset: -1n } }, 'to.offset'],
      [{ topic, to: { offset: 3 } }, 'to.offset'],
      [{ topic, to: 'start' }, 'to'],
      [{ topic, to: { shiftBy: 1 } }, 'to.shiftBy'],
      [{ topic, to: 'earliest', partitions: [5] }, 'partitions'],
      [{ topic, to: 'earliest', dryrun: false }, 'dryrun'],
    ]
    for (const [options, option] of cases) {
      const error = await rejection(admin.resetGroupOffsets(group, options as never))
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({ option })
    }
    const unknown = `no-such-topic-${Date.now()}`
    const error = await rejection(admin.resetGroupOffsets(group, { topic: unknown, to: 'earliest' }))
    expect(error).toMatchObject({ code: 3 })
    expect((error as Error).message).toContain(unknown)

    // shiftBy needs a committed offset to shift from.
    const fresh = groupName('noshift')
    const noCommit = await rejection(admin.resetGroupOffsets(fresh, { topic, to: { shiftBy: 1n } }))
    expect(noCommit).toMatchObject({ option: 'to.shiftBy' })
    expect(await javaOffsets(group)).toEqual(new Map([[0, 1n]]))
  })
})

describe('deleteGroup', () => {
  it('deletes an empty group and its offsets; refuses a group with members or one that does not exist', async () => {
    const topic = await topicWithRecords('groups-delete', 1, 2)
    const group = await emptyGroupWithCommits(topic, [1n])
    await admin.deleteGroup(group)
    expect((await admin.listGroups()).map((entry) => entry.groupId)).not.toContain(group)
    expect(await rejection(admin.listGroupOffsets(group))).toMatchObject({ code: 69 })
    expect(await rejection(admin.deleteGroup(group))).toMatchObject({ code: 69 })

    const active = groupName('delete-active')
    const member = consumers.create({ groupId: active, autoOffsetReset: 'earliest' })
    member.subscribe([topic])
    await untilAssigned([member], 1)
    const error = await rejection(admin.deleteGroup(active))
    expect(error).toMatchObject({ code: 68 })
    expect((error as Error).message).toContain(active)
  })
})
