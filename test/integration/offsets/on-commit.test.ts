import { afterEach, expect, it } from 'vitest'
import type { CommitEvent } from '../../../src/index.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import { groupName, pollAtLeast, TestConsumers, topicWithRecords } from './offsets-kit.ts'

const consumers = new TestConsumers()
afterEach(() => consumers.closeAll())

it('onCommit reports every commit with its reason and partitions: sync, async, auto and close', async () => {
  const topic = await topicWithRecords('on-commit', 1, 20)
  const events: CommitEvent[] = []
  const consumer = consumers.create({
    groupId: groupName('on-commit'),
    autoOffsetReset: 'earliest',
    autoCommitIntervalMs: 100,
    maxPollRecords: 5,
    onCommit: (event) => events.push(event),
  })
  consumer.assign([{ topic, partition: 0 }])
  await pollAtLeast(consumer, 5)
  await consumer.commit([{ topic, partition: 0, offset: 2n }])
  await new Promise<void>((resolve) =>
    consumer.commitAsync([{ topic, partition: 0, offset: 3n }], () => resolve()),
  )
  // Offsets are stored for auto-commit as the next poll passes them (the Java client's rule).
  await waitFor('an auto-commit', async () => {
    await consumer.poll({ timeoutMs: 100 })
    return events.some((e) => e.reason === 'auto')
  })
  await pollAtLeast(consumer, 5)
  await consumer.close()
  const reasons = events.map((e) => e.reason)
  expect(reasons.slice(0, 2)).toEqual(['sync', 'async'])
  expect(events[0]).toMatchObject({ offsets: [{ topic, partition: 0, offset: 2n }], error: null })
  expect(events[1]).toMatchObject({ offsets: [{ topic, partition: 0, offset: 3n }], error: null })
  expect(reasons).toContain('auto')
  expect(reasons.at(-1)).toBe('close')
  expect(events.every((e) => e.error === null)).toBe(true)
})

it('onCommit reports the commit made on revoke, with the revoked partitions and their processed offsets', async () => {
  const topic = await topicWithRecords('on-commit-revoke', 2, 20)
  const groupId = groupName('on-commit-revoke')
  const events: CommitEvent[] = []
  const options = {
    groupId,
    autoOffsetReset: 'earliest' as const,
    // The clock never commits during the test: only the rebalance can.
    autoCommitIntervalMs: 600_000,
    groupProtocol: 'classic' as const,
    assignors: ['range' as const],
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
  }
  const first = consumers.create({ ...options, onCommit: (event) => events.push(event) })
  first.subscribe([topic])
  await pollAtLeast(first, 40)
  // Offsets are stored for auto-commit as the next poll passes them.
  await first.poll({ timeoutMs: 0 })
  const second = consumers.create(options)
  second.subscribe([topic])
  await waitFor('the rebalance to revoke a partition from the first member', async () => {
    await Promise.all([first.poll({ timeoutMs: 100 }), second.poll({ timeoutMs: 100 })])
    return events.some((e) => e.reason === 'revoke')
  })
  const revoke = events.find((e) => e.reason === 'revoke')
  expect(revoke?.error).toBeNull()
  // Eager: both partitions are revoked, each committed at its end.
  expect([...(revoke?.offsets ?? [])].sort((a, b) => a.partition - b.partition)).toMatchObject([
    { topic, partition: 0, offset: 20n },
    { topic, partition: 1, offset: 20n },
  ])
  expect(events.filter((e) => e.reason !== 'revoke')).toEqual([])
})
