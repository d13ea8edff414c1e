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
