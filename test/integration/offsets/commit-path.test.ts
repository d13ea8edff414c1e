import { afterEach, describe, expect, it } from 'vitest'
import type { TopicPartition } from '../../../src/common/types.ts'
import type { GroupProtocol } from '../../../src/consumer/group/group-options.ts'
import { Kafka } from '../../../src/kafka.ts'
import { bootstrap } from '../consumer/consumer-kit.ts'
import { groupName, TestConsumers, topicWithRecords } from './offsets-kit.ts'

const consumers = new TestConsumers()
afterEach(() => consumers.closeAll())

/** The group's members as the coordinator reports them. */
async function groupMembers(group: string): Promise<number> {
  const admin = new Kafka({ bootstrap: [bootstrap] }).admin()
  try {
    return (await admin.describeGroup(group)).members.length
  } finally {
    await admin.close()
  }
}

describe('leaving the group after reading with the async iterator', () => {
  for (const groupProtocol of ['classic', 'consumer'] as GroupProtocol[]) {
    it(`${groupProtocol}: break + close() leaves; the next member is assigned long before the session timeout`, async () => {
      const topic = await topicWithRecords('iter-leave', 2, 5)
      const group = groupName('iter-leave')
      const options = {
        groupId: group,
        groupProtocol,
        autoOffsetReset: 'earliest' as const,
        enableAutoCommit: false,
        // The default, spelled out: a member that does not leave holds its partitions this long.
        ...(groupProtocol === 'classic' ? { sessionTimeoutMs: 45_000 } : {}),
      }
      const first = consumers.create(options)
      first.subscribe([topic])
      for await (const message of first) {
        await first.commit([{ topic, partition: message.partition, offset: message.offset + 1n }])
        break
      }
      await consumers.close(first)
      expect(await groupMembers(group)).toBe(0)

      const second = consumers.create(options)
      const started = performance.now()
      let assignedAfterMs: number | undefined
      let assigned: TopicPartition[] = []
      second.subscribe([topic], {
        onPartitionsAssigned(partitions) {
          assigned = [...assigned, ...partitions]
          if (assigned.length === 2) assignedAfterMs ??= performance.now() - started
        },
      })
      // Poll until the whole topic is ours; a member left behind would keep half of it for 45 s.
      const deadline = performance.now() + 30_000
      while (assignedAfterMs === undefined && performance.now() < deadline) {
        await second.poll({ timeoutMs: 200 })
      }
      expect(assignedAfterMs).toBeDefined()
      expect(assignedAfterMs).toBeLessThan(15_000)
      expect(await groupMembers(group)).toBe(1)
    })
  }
})

describe('commits do not queue behind fetches', () => {
  it("committing after every message: each commit takes far less than the fetcher's long poll", async () => {
    const topic = await topicWithRecords('commit-each', 1, 300)
    const group = groupName('commit-each')
    const fetchMaxWaitMs = 500
    // A commit that shared the fetcher's connection waited behind its parked Fetch: fetchMaxWaitMs each.
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      fetchMaxWaitMs,
    })
    consumer.assign([{ topic, partition: 0 }])
    const latencies: number[] = []
    for await (const message of consumer) {
      const started = performance.now()
      await consumer.commit()
      latencies.push(performance.now() - started)
      if (message.offset === 299n) break
    }
    expect(latencies).toHaveLength(300)
    expect((await consumer.committed([{ topic, partition: 0 }]))[0]?.offset).toBe(300n)
    const median = latencies.sort((a, b) => a - b)[150] ?? Number.POSITIVE_INFINITY
    expect(median).toBeLessThan(fetchMaxWaitMs / 2)
  }, 200_000)
})
