import { afterEach, describe, expect, it } from 'vitest'
import { CommitFailedError } from '../../../src/common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../../../src/common/types.ts'
import type { Consumer } from '../../../src/consumer/consumer.ts'
import { groupName, pollAtLeast, TestConsumers, topicWithRecords } from './offsets-kit.ts'

const consumers = new TestConsumers()
afterEach(() => consumers.closeAll())

/** A promise with its resolve function, to hold a rebalance listener until the test lets it go. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** Polls `consumer` in the background until `stop` resolves, so its rebalances can complete. */
async function keepPolling(consumer: Consumer, stop: Promise<unknown>): Promise<void> {
  let stopped = false
  void stop.then(() => {
    stopped = true
  })
  while (!stopped) await consumer.poll({ timeoutMs: 100 })
}

// Eager 'range': a rebalance revokes everything before JoinGroup, so the test can act while the member is
// between the revoke and its new assignment, and knows a second member takes one of the two partitions.
const eager = { assignors: ['range' as const], autoOffsetReset: 'earliest' as const, enableAutoCommit: false }

describe('commits and rebalances', () => {
  it('a commit made during a join/sync waits for it, commits what is still owned and names what is not', async () => {
    const topic = await topicWithRecords('commit-rebalance', 2, 10)
    const group = groupName('commit-rebalance')
    const revokeStarted = gate()
    const releaseRevoke = gate()
    const first = consumers.create({ groupId: group, ...eager })
    let revokes = 0
    first.subscribe([topic], {
      async onPartitionsRevoked() {
        revokes++
        revokeStarted.open()
        await releaseRevoke.promise
      },
    })
    await pollAtLeast(first, 20)
    expect(first.assignment()).toHaveLength(2)

    const second = consumers.create({ groupId: group, ...eager })
    second.subscribe([topic])
    const secondPolling = keepPolling(
      second,
      revokeStarted.promise.then(() => releaseRevoke.promise),
    )
    await revokeStarted.promise
    expect(first.groupSubscription?.rebalanceInProgress).toBe(true)

    // Commit from outside the listener while the rebalance is held: it must not go out with the old
    // generation, nor fail with REBALANCE_IN_PROGRESS.
    const offsets: TopicPartitionOffset[] = [0, 1].map((partition) => ({ topic, partition, offset: 7n }))
    let settled = false
    // The outcome is taken at once: the commit may settle while the test still waits for the other member.
    const commit = first
      .commit(offsets)
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .finally(() => {
        settled = true
      })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(settled).toBe(false)
    releaseRevoke.open()
    await secondPolling

    const outcome = await commit
    expect(first.groupSubscription?.rebalanceInProgress).toBe(false)
    const kept = first.assignment()
    expect(kept).toHaveLength(1)
    const lostPartition = kept[0]?.partition === 0 ? 1 : 0
    expect(outcome).toBeInstanceOf(CommitFailedError)
    expect((outcome as CommitFailedError).partitions).toEqual([{ topic, partition: lostPartition }])
    expect(revokes).toBe(1)

    const committed = await first.committed([0, 1].map((partition): TopicPartition => ({ topic, partition })))
    const byPartition = new Map(committed.map((c) => [c.partition, c.offset]))
    expect(byPartition.get(kept[0]?.partition ?? -1)).toBe(7n)
    expect(byPartition.get(lostPartition)).toBeNull()
  })

  it('commit() inside onPartitionsRevoked goes out at once with the generation that still owns them', async () => {
    const topic = await topicWithRecords('commit-in-revoke', 2, 10)
    const group = groupName('commit-in-revoke')
    const committedInListener: TopicPartitionOffset[][] = []
    const first = consumers.create({ groupId: group, ...eager })
    first.subscribe([topic], {
      async onPartitionsRevoked(partitions) {
        if (partitions.length > 0) committedInListener.push(await first.commit())
      },
    })
    const read = await pollAtLeast(first, 20)
    const second = consumers.create({ groupId: group, ...eager })
    second.subscribe([topic])
    // Both members poll until each holds one partition: the rebalance completed around the listener's commit.
    const deadline = Date.now() + 30_000
    while ((first.assignment().length !== 1 || second.assignment().length !== 1) && Date.now() < deadline) {
      await Promise.all([first.poll({ timeoutMs: 100 }), second.poll({ timeoutMs: 100 })])
    }
    expect(first.assignment()).toHaveLength(1)
    expect(committedInListener).toHaveLength(1)
    const expected = [0, 1].map((partition) => ({
      topic,
      partition,
      offset: BigInt(read.filter((m) => m.partition === partition).length),
    }))
    expect(
      [...(committedInListener[0] ?? [])]
        .map(({ topic, partition, offset }) => ({ topic, partition, offset }))
        .sort((a, b) => a.partition - b.partition),
    ).toEqual(expected)
    const committed = await first.committed(expected)
    expect(committed.map((c) => c.offset)).toEqual(expected.map((e) => e.offset))
  })

  it('KIP-848: a commit made while a revocation is being reconciled goes out at once with the current epoch', async () => {
    // run() drains the handlers of revoked partitions inside the revocation, and an at-most-once handler
    // waits for its own offset's commit: a commit held until the reconciliation ends deadlocked the two.
    const topic = await topicWithRecords('commit-reconcile', 2, 10)
    const group = groupName('commit-reconcile')
    const revokeStarted = gate()
    const releaseRevoke = gate()
    const options = {
      groupId: group,
      groupProtocol: 'consumer' as const,
      autoOffsetReset: 'earliest' as const,
    }
    const first = consumers.create({ ...options, enableAutoCommit: false })
    first.subscribe([topic], {
      async onPartitionsRevoked(partitions) {
        if (partitions.length === 0) return
        revokeStarted.open()
        await releaseRevoke.promise
      },
    })
    await pollAtLeast(first, 20)
    expect(first.assignment()).toHaveLength(2)
    const firstPolling = keepPolling(first, releaseRevoke.promise)

    const second = consumers.create({ ...options, enableAutoCommit: false })
    second.subscribe([topic])
    const secondPolling = keepPolling(second, releaseRevoke.promise)
    await revokeStarted.promise
    expect(first.groupSubscription?.rebalanceInProgress).toBe(true)

    // The listener is still held: the commit must not wait for it.
    const offsets: TopicPartitionOffset[] = [0, 1].map((partition) => ({ topic, partition, offset: 4n }))
    const outcome = await first.commit(offsets).then(
      () => 'committed',
      (error: unknown) => error,
    )
    releaseRevoke.open()
    await Promise.all([firstPolling, secondPolling])
    expect(outcome).toBe('committed')
    const committed = await first.committed(offsets)
    expect(committed.map((c) => c.offset)).toEqual([4n, 4n])
  })
})
