import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Kafka } from '../src/kafka.ts'
import { waitFor } from '../src/testing/wait-for.ts'
import {
  asyncInLoopSyncOnClose,
  automaticCommit,
  commitOnRevoke,
  commitSpecifiedOffset,
  seekFromExternalStore,
  synchronousCommit,
  wakeupThenCommitAndClose,
} from './definitive-guide-commits.ts'
import { bootstrapAddress, topicWithRecords, uniqueName } from './example-support.ts'

const partitions = 3
const count = 60
const all = Array.from({ length: count }, (_, i) => `record-${i}`).sort()

/** The group's committed offsets summed over the partitions: equals `count` when everything is committed. */
async function committedTotal(topic: string, groupId: string): Promise<bigint> {
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
    groupId,
    enableAutoCommit: false,
  })
  try {
    const committed = await consumer.committed(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    )
    return committed.reduce((sum, c) => sum + (c.offset ?? 0n), 0n)
  } finally {
    await consumer.close()
  }
}

describe('Kafka: The Definitive Guide — commits and offsets', () => {
  for (const [name, scenario] of [
    ['automatic commit', automaticCommit],
    ['synchronous commit', synchronousCommit],
    ['async in the loop, sync on close', asyncInLoopSyncOnClose],
    ['committing a specified offset', commitSpecifiedOffset],
  ] as const) {
    it(`${name}: every record processed, everything committed, a restart reads nothing twice`, async () => {
      const topic = uniqueName('dg')
      const groupId = uniqueName('dg-group')
      await topicWithRecords(topic, partitions, count)
      const processed = await scenario({ topic, groupId, expected: count, autoCommitIntervalMs: 200 })
      expect([...processed].sort()).toEqual(all)
      expect(await committedTotal(topic, groupId)).toBe(BigInt(count))
    })
  }

  it('consuming from specific offsets: seek on assignment restores the external store position', async () => {
    const topic = uniqueName('dg-seek')
    const groupId = uniqueName('dg-group')
    await topicWithRecords(topic, partitions, count)
    const store = new Map<string, bigint>()
    const results: string[] = []
    await seekFromExternalStore({ topic, groupId, expected: 20 }, store, results)
    // The first run may have read a little past 20 in its last poll; all of it is in the store with its offsets.
    const afterFirst = results.length
    await seekFromExternalStore({ topic, groupId, expected: count }, store, results)
    expect(results.length).toBe(count)
    expect([...results].sort()).toEqual(all)
    expect(afterFirst).toBeGreaterThanOrEqual(20)
    expect([...store.values()].reduce((a, b) => a + b, 0n)).toBe(BigInt(count))
  })

  it('exiting the poll loop: wakeup() ends a blocked poll with WakeupError; finally commits and closes', async () => {
    const topic = uniqueName('dg-wakeup')
    const groupId = uniqueName('dg-group')
    await topicWithRecords(topic, partitions, count)
    // The "signal" comes well after the backlog is read, while poll() waits for more.
    const processed = await wakeupThenCommitAndClose({ topic, groupId, expected: count, stopAfterMs: 8000 })
    expect([...processed].sort()).toEqual(all)
    expect(await committedTotal(topic, groupId)).toBe(BigInt(count))
  }, 60_000)

  it('exiting the poll loop from a shutdown hook: SIGTERM to the example process wakes its poll up; it commits, closes and exits 0', async () => {
    const topic = uniqueName('dg-sigterm')
    const groupId = uniqueName('dg-group')
    await topicWithRecords(topic, partitions, count)
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('./definitive-guide-commits.ts', import.meta.url)),
        'wakeupThenCommitAndClose',
        topic,
        groupId,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KAFKA_BOOTSTRAP: bootstrapAddress() } },
    )
    let output = ''
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    try {
      // The loop's async commits show it read the backlog; it now waits in poll() for more.
      await waitFor(
        'the backlog read and committed',
        async () => (await committedTotal(topic, groupId)) === BigInt(count),
        60_000,
        200,
      )
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(output).toContain(`processed ${count} records`)
    expect(await committedTotal(topic, groupId)).toBe(BigInt(count))
  }, 90_000)

  it('a rebalance listener commits the processed offsets of revoked partitions: nothing lost, the next owner repeats at most the records in hand', async () => {
    const topic = uniqueName('dg-revoke')
    const groupId = uniqueName('dg-group')
    await topicWithRecords(topic, partitions, count)
    const shared: string[] = []
    // The first member works slowly (500 ms a record) until the second has received a record, so the
    // rebalance, which it only learns of at its next heartbeat, completes while every partition still has
    // records left (the smallest of the three holds 15; the second joins after 5 are done).
    let secondHasRecords = false
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
    const slowly = () => sleep(secondHasRecords ? 0 : 500)
    const first = commitOnRevoke({ topic, groupId, expected: count, all: shared, perRecord: slowly })
    await waitFor('the first member to process 5 records', () => shared.length >= 5, 30_000)
    const noteRecord = async () => {
      secondHasRecords = true
    }
    const second = commitOnRevoke({ topic, groupId, expected: count, all: shared, perRecord: noteRecord })
    const [firstRecords, secondRecords] = await Promise.all([first, second])
    expect(secondRecords.length).toBeGreaterThan(0)
    expect([...new Set(shared)].sort()).toEqual(all)
    // Only what the first member had in hand from its last poll (maxPollRecords 5) may be processed twice.
    expect(shared.length - count).toBeLessThanOrEqual(5)
    expect(firstRecords.length + secondRecords.length).toBe(shared.length)
    expect(await committedTotal(topic, groupId)).toBe(BigInt(count))
  }, 90_000)
})
