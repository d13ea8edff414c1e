import { afterEach, describe, expect, it } from 'vitest'
import { CommitFailedError, ConfigError, IllegalStateError } from '../../../src/common/errors.ts'
import type { TopicPartitionOffset } from '../../../src/common/types.ts'
import { consumerGroupDescribe } from '../../../src/testing/java-tools.ts'
import { bootstrap } from '../consumer/consumer-kit.ts'
import {
  firstOffsets,
  groupName,
  nextOffsets,
  pollAtLeast,
  TestConsumers,
  topicWithRecords,
} from './offsets-kit.ts'

const consumers = new TestConsumers()
afterEach(() => consumers.closeAll())

/** The group's committed offsets as the official Java ConsumerGroupCommand reports them. */
async function javaCommitted(group: string): Promise<Map<number, bigint | null>> {
  const rows = await consumerGroupDescribe({ bootstrap, group })
  return new Map(rows.map((row) => [row.partition, row.currentOffset]))
}

describe('commit modes: a restart resumes exactly at the committed offset', () => {
  it('commit(): everything handed out, as Java sees it', async () => {
    const topic = await topicWithRecords('commit-sync', 2, 30)
    const group = groupName('sync')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      maxPollRecords: 7,
    })
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    const received = await pollAtLeast(consumer, 10)
    const committed = await consumer.commit()
    const expected = nextOffsets(received)
    expect(new Map(committed.map((o) => [o.partition, o.offset]))).toEqual(
      new Map([0, 1].map((p) => [p, consumer.position({ topic, partition: p })])),
    )
    for (const [partition, offset] of expected) expect(consumer.position({ topic, partition })).toBe(offset)
    await consumers.close(consumer)

    const resumed = await firstOffsets(consumers, group, topic, 2)
    for (const o of committed) expect(resumed.get(o.partition)).toBe(o.offset)
    const java = await javaCommitted(group)
    for (const o of committed) expect(java.get(o.partition)).toBe(o.offset)
  })

  it('commit(offsets) with metadata; committed() reads it back', async () => {
    const topic = await topicWithRecords('commit-offsets', 2, 20)
    const group = groupName('offsets')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
    })
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    await pollAtLeast(consumer, 1)
    await consumer.commit([
      { topic, partition: 0, offset: 7n, metadata: 'checkpoint-7' },
      { topic, partition: 1, offset: 13n },
    ])
    const read = await consumer.committed([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    expect(read.map((o) => [o.partition, o.offset, o.metadata])).toEqual([
      [0, 7n, 'checkpoint-7'],
      [1, 13n, ''],
    ])
    await consumers.close(consumer)
    const resumed = await firstOffsets(consumers, group, topic, 2)
    expect(resumed).toEqual(
      new Map([
        [0, 7n],
        [1, 13n],
      ]),
    )
    expect(await javaCommitted(group)).toEqual(
      new Map([
        [0, 7n],
        [1, 13n],
      ]),
    )
  })

  it('commitAsync(): the callback reports what was committed', async () => {
    const topic = await topicWithRecords('commit-async', 1, 20)
    const group = groupName('async')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      maxPollRecords: 5,
    })
    consumer.assign([{ topic, partition: 0 }])
    const received = await pollAtLeast(consumer, 5)
    const outcome = await new Promise<{ error: unknown; offsets: TopicPartitionOffset[] }>((resolve) =>
      consumer.commitAsync(undefined, (error, offsets) => resolve({ error, offsets })),
    )
    expect(outcome.error).toBeNull()
    expect(outcome.offsets.map((o) => o.offset)).toEqual([received.at(-1)!.offset + 1n])
    // The commit carries the leader epoch of the last record (KIP-320).
    expect(outcome.offsets[0]?.leaderEpoch).toBe(received.at(-1)!.leaderEpoch)
    await consumers.close(consumer)
    expect((await firstOffsets(consumers, group, topic, 1)).get(0)).toBe(received.at(-1)!.offset + 1n)
  })

  it('auto-commit commits only finished records: never the poll still being processed', async () => {
    const topic = await topicWithRecords('commit-auto', 1, 40)
    const group = groupName('auto')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      autoCommitIntervalMs: 100,
      maxPollRecords: 10,
    })
    consumer.assign([{ topic, partition: 0 }])
    const first = await pollAtLeast(consumer, 1)
    const second = await consumer.poll({ timeoutMs: 5000 }) // finishes `first`
    expect(second.length).toBeGreaterThan(0)
    // Several ticks pass while `second` is "being processed": only `first` may be committed.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const during = await consumer.committed([{ topic, partition: 0 }])
    expect(during[0]?.offset).toBe(first.at(-1)!.offset + 1n)
    // Close commits what is finished: still not `second`, which the application never finished.
    await consumers.close(consumer)
    expect((await firstOffsets(consumers, group, topic, 1)).get(0)).toBe(first.at(-1)!.offset + 1n)
    expect((await javaCommitted(group)).get(0)).toBe(first.at(-1)!.offset + 1n)
  })

  it('auto-commit with the iterator and consume(): a message is finished when the next is asked for', async () => {
    const topic = await topicWithRecords('commit-auto-iter', 1, 30)
    const group = groupName('auto-iter')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      autoCommitIntervalMs: 50,
    })
    consumer.assign([{ topic, partition: 0 }])
    let seen = 0n
    for await (const message of consumer) {
      seen = message.offset
      if (message.offset === 9n) {
        await new Promise((resolve) => setTimeout(resolve, 300))
        // The loop is still inside message 9: 9 itself is not finished.
        expect((await consumer.committed([{ topic, partition: 0 }]))[0]?.offset).toBe(9n)
        break
      }
    }
    expect(seen).toBe(9n)
    let handled = 0
    const controller = new AbortController()
    await consumer.consume(
      (message) => {
        handled++
        if (message.offset === 19n) controller.abort()
      },
      { signal: controller.signal },
    )
    expect(handled).toBeGreaterThan(0)
    await consumers.close(consumer)
    // consume() finished 19 (its handler resolved): the close commit includes it.
    expect((await firstOffsets(consumers, group, topic, 1)).get(0)).toBe(20n)
  })

  it('storeOffsets + auto-commit: only what the application stored is committed', async () => {
    const topic = await topicWithRecords('commit-store', 2, 20)
    const group = groupName('store')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoOffsetStore: false,
      autoCommitIntervalMs: 100,
    })
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    const received = await pollAtLeast(consumer, 40)
    const stored = received.find((m) => m.partition === 0 && m.offset === 4n)!
    consumer.storeOffsets(stored)
    await consumer.poll({ timeoutMs: 100 })
    await new Promise((resolve) => setTimeout(resolve, 400))
    const read = await consumer.committed([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    expect(read.map((o) => o.offset)).toEqual([5n, null])
    consumer.storeOffsets([{ topic, partition: 1, offset: 11n }])
    await consumers.close(consumer)
    expect(await firstOffsets(consumers, group, topic, 2)).toEqual(
      new Map([
        [0, 5n],
        [1, 11n],
      ]),
    )
    expect(await javaCommitted(group)).toEqual(
      new Map([
        [0, 5n],
        [1, 11n],
      ]),
    )
  })
})

describe('commit ordering and validation', () => {
  it('async commits never move a committed offset backwards; a sync commit may rewind on purpose', async () => {
    const topic = await topicWithRecords('commit-order', 1, 5)
    const group = groupName('order')
    const consumer = consumers.create({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
    })
    consumer.assign([{ topic, partition: 0 }])
    const outcomes: string[] = []
    const commit = (offset: bigint) =>
      new Promise<void>((resolve) =>
        consumer.commitAsync([{ topic, partition: 0, offset }], (error, offsets) => {
          outcomes.push(`${offset}:${error === null ? offsets.map((o) => o.offset).join(',') : error.name}`)
          resolve()
        }),
      )
    await Promise.all([commit(10n), commit(4n), commit(12n), commit(11n)])
    // Settled in call order; the lower ones were left out rather than sent after a higher one. All four calls
    // are made before the first is sent, so 12 joins 10's commit: what 10's call committed for its partition
    // is 12.
    expect(outcomes).toEqual(['10:12', '4:', '12:12', '11:'])
    expect((await consumer.committed([{ topic, partition: 0 }]))[0]?.offset).toBe(12n)
    await consumer.commit([{ topic, partition: 0, offset: 2n }])
    expect((await consumer.committed([{ topic, partition: 0 }]))[0]?.offset).toBe(2n)
  })

  it('bad input is refused before anything is sent', async () => {
    const topic = await topicWithRecords('commit-bad', 1, 1)
    const group = groupName('bad')
    expect(() => consumers.create({ groupId: group, autoCommitIntervalMs: 0 })).toThrow(ConfigError)
    expect(() => consumers.create({ groupId: group, enableAutoCommit: 'yes' as never })).toThrow(
      /consumer\.enableAutoCommit/,
    )
    const consumer = consumers.create({ groupId: group, enableAutoCommit: false })
    consumer.assign([{ topic, partition: 0 }])
    await consumer.commit([{ topic, partition: 0, offset: 1n }])
    await expect(consumer.commit([{ topic, partition: 0, offset: -1n }])).rejects.toThrow(
      /commit\[0\]\.offset/,
    )
    await expect(consumer.commit([{ topic, partition: 3, offset: 1n }])).rejects.toThrow(IllegalStateError)
    await expect(
      consumer.commit([{ topic, partition: 0, offset: 2n, metadata: 'x'.repeat(4097) }]),
    ).rejects.toThrow(/4097 bytes.*OFFSET_METADATA_TOO_LARGE/)
    expect(() => consumer.storeOffsets([{ topic, partition: 0, offset: 1n }])).toThrow(
      /enableAutoOffsetStore/,
    )
    // None of it changed the committed offset.
    expect((await consumer.committed([{ topic, partition: 0 }]))[0]?.offset).toBe(1n)
    const groupless = consumers.create({})
    groupless.assign([{ topic, partition: 0 }])
    await expect(groupless.commit()).rejects.toThrow(/groupId/)
  })

  it('a commit of partitions lost in a rebalance fails with CommitFailedError naming them; the offset stays', async () => {
    const topic = await topicWithRecords('commit-lost', 2, 10)
    const group = groupName('lost')
    const timing = {
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      autoOffsetReset: 'earliest' as const,
      enableAutoCommit: false,
    }
    const first = consumers.create({ groupId: group, ...timing })
    first.subscribe([topic])
    await pollAtLeast(first, 20)
    await first.commit([
      { topic, partition: 0, offset: 3n },
      { topic, partition: 1, offset: 3n },
    ])
    const second = consumers.create({ groupId: group, ...timing })
    second.subscribe([topic])
    const deadline = Date.now() + 30_000
    while (first.assignment().length !== 1 && Date.now() < deadline) {
      await first.poll({ timeoutMs: 200 })
      await second.poll({ timeoutMs: 200 })
    }
    expect(first.assignment()).toHaveLength(1)
    const lost = 1 - first.assignment()[0]!.partition
    const error = await first.commit([{ topic, partition: lost, offset: 9n }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitFailedError)
    expect((error as CommitFailedError).partitions).toEqual([{ topic, partition: lost }])
    expect((await first.committed([{ topic, partition: lost }]))[0]?.offset).toBe(3n)
    // The consumer goes on: its own partition still commits.
    const kept = first.assignment()[0]!
    await first.commit([{ ...kept, offset: 4n }])
    expect((await first.committed([kept]))[0]?.offset).toBe(4n)
  })
})
