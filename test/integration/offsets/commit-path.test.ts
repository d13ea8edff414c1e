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
  it('committing after every message: 1,000 sync commits finish in seconds, not one long poll each', async () => {
    const topic = await topicWithRecords('commit-each', 1, 1000)
    const group = groupName('commit-each')
    // fetchMaxWaitMs is the default 500 ms: a commit that shared the fetcher's connection waited that long.
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
    })
    consumer.assign([{ topic, partition: 0 }])
    let read = 0
    const started = performance.now()
    for await (const message of consumer) {
      await consumer.commit()
      read++
      if (message.offset === 999n) break
    }
    const elapsedMs = performance.now() - started
    expect(read).toBe(1000)
    expect((await consumer.committed([{ topic, partition: 0 }]))[0]?.offset).toBe(1000n)
    // Generous for a loaded 2-core machine; sharing the fetch connection took about 500 s here.
    expect(elapsedMs).toBeLessThan(30_000)
  }, 90_000)
})
