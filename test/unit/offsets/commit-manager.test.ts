import { describe, expect, it } from 'vitest'
import { CommitFailedError, KafkaError } from '../../../src/common/errors.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type { TopicPartitionOffset } from '../../../src/common/types.ts'
import { CommitManager, type CoordinatorAccess } from '../../../src/consumer/offsets/commit-manager.ts'
import { PartitionOffsetsTable } from '../../../src/consumer/offsets/partition-offsets.ts'
import { fakeCoordinator, type Received } from './fake-coordinator.ts'

/** The member identity a test's commit manager reads when it makes and sends commits; tests change it. */
interface Member {
  generationId: number
  memberId: string
}

/** A commit manager for a consumer assigned partitions 0-3 of topic `t`, as `member` (generation 3, 'm'). */
function manager(
  access: CoordinatorAccess,
  offsets = new PartitionOffsetsTable(),
  member: Member = { generationId: 3, memberId: 'm' },
): CommitManager {
  for (let partition = 0; partition < 4; partition++) offsets.open('t', partition)
  return new CommitManager({
    cluster: access,
    groupId: 'g',
    offsets,
    identity: () => ({ groupId: 'g', ...member, groupInstanceId: null, protocol: null }),
    logger: silentLogger,
  })
}

const at = (offset: bigint, partition = 0): TopicPartitionOffset => ({ topic: 't', partition, offset })
const sentOffsets = (r: Received | undefined) =>
  r?.request.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset]))

/** Lets queued promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('CommitManager', () => {
  it('serializes commits: the next is sent only after the one before it is answered', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    const first = commits.commit([at(5n)], 'sync')
    const second = commits.commit([at(9n)], 'sync')
    const [one] = await coordinator.requests(1)
    await settle()
    expect(coordinator.received).toHaveLength(1)
    expect(one?.request.generationIdOrMemberEpoch).toBe(3)
    expect(one?.request.memberId).toBe('m')
    one?.answer()
    await expect(first).resolves.toEqual([at(5n)])
    const [, two] = await coordinator.requests(2)
    expect(sentOffsets(two)).toEqual([[0, 9n]])
    two?.answer()
    await expect(second).resolves.toEqual([at(9n)])
    expect(commits.lastConfirmed({ topic: 't', partition: 0 })).toBe(9n)
  })

  it('async commits never go backwards; sync commits may rewind on purpose', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    const newer = commits.commit([at(10n), at(4n, 1)], 'async')
    const [first] = await coordinator.requests(1)
    // Queued while the first is on the wire, so it goes out as a request of its own.
    const older = commits.commit([at(6n), at(5n, 1)], 'async')
    first?.answer()
    await newer
    const [, second] = await coordinator.requests(2)
    expect(sentOffsets(second)).toEqual([[1, 5n]]) // partition 0 would have gone from 10 back to 6
    second?.answer()
    await expect(older).resolves.toEqual([at(5n, 1)])

    const rewind = commits.commit([at(2n)], 'sync')
    const [, , third] = await coordinator.requests(3)
    expect(sentOffsets(third)).toEqual([[0, 2n]])
    third?.answer()
    await expect(rewind).resolves.toEqual([at(2n)])
  })

  it('folds async commits made while one waits for its turn into it: one request, the newest offsets', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    const inFlight = commits.commit([at(1n)], 'async')
    const [first] = await coordinator.requests(1)
    const waiting = commits.commit([at(2n)], 'async')
    const joined = commits.commit([at(3n), at(7n, 1)], 'async')
    const alsoJoined = commits.commit([at(4n)], 'async')
    first?.answer()
    await inFlight
    const [, second] = await coordinator.requests(2)
    expect(sentOffsets(second)).toEqual([
      [0, 4n],
      [1, 7n],
    ])
    second?.answer()
    // Each call learns what was committed for its own partitions: the newest offset, folded in by a later call.
    await expect(waiting).resolves.toEqual([at(4n)])
    await expect(joined).resolves.toEqual([at(4n), at(7n, 1)])
    await expect(alsoJoined).resolves.toEqual([at(4n)])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(coordinator.received).toHaveLength(2)
  })

  it('never folds an async commit into one queued before a sync commit', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    void commits.commit([at(1n)], 'async')
    const [first] = await coordinator.requests(1)
    void commits.commit([at(5n)], 'async')
    const rewind = commits.commit([at(2n)], 'sync')
    const after = commits.commit([at(3n)], 'async')
    first?.answer()
    const [, second] = await coordinator.requests(2)
    expect(sentOffsets(second)).toEqual([[0, 5n]])
    second?.answer()
    const [, , third] = await coordinator.requests(3)
    expect(sentOffsets(third)).toEqual([[0, 2n]]) // the rewind lands after the async commit queued before it
    third?.answer()
    await rewind
    const [, , , fourth] = await coordinator.requests(4)
    expect(sentOffsets(fourth)).toEqual([[0, 3n]])
    fourth?.answer()
    await expect(after).resolves.toEqual([at(3n)])
  })

  it("a member's async commit leaves out partitions the coordinator already holds at that offset", async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    const first = commits.commit([at(5n), at(7n, 1)], 'async')
    ;(await coordinator.requests(1))[0]?.answer()
    await expect(first).resolves.toEqual([at(5n), at(7n, 1)])

    const moved = commits.commit([at(6n), at(7n, 1)], 'async')
    const [, second] = await coordinator.requests(2)
    expect(sentOffsets(second)).toEqual([[0, 6n]])
    second?.answer()
    // Partition 1 counts as committed: the coordinator confirmed 7 and nothing changed it since.
    await expect(moved).resolves.toEqual([at(6n), at(7n, 1)])

    await expect(commits.commit([at(6n), at(7n, 1)], 'async')).resolves.toEqual([at(6n), at(7n, 1)])
    await settle()
    expect(coordinator.received).toHaveLength(2)

    // New metadata, or another leader epoch, is a change; a sync commit sends what it names regardless.
    const metadata = commits.commit([{ ...at(6n), metadata: 'm' }], 'async')
    const [, , third] = await coordinator.requests(3)
    expect(sentOffsets(third)).toEqual([[0, 6n]])
    third?.answer()
    await metadata
    const epoch = commits.commit([{ ...at(7n, 1), leaderEpoch: 4 }], 'async')
    const [, , , fourth] = await coordinator.requests(4)
    expect(sentOffsets(fourth)).toEqual([[1, 7n]])
    fourth?.answer()
    await epoch
    const sync = commits.commit([{ ...at(7n, 1), leaderEpoch: 4 }], 'sync')
    const [, , , , fifth] = await coordinator.requests(5)
    expect(sentOffsets(fifth)).toEqual([[1, 7n]])
    fifth?.answer()
    await expect(sync).resolves.toEqual([{ ...at(7n, 1), leaderEpoch: 4 }])
  })

  it('an unchanged offset goes out again after a commit failed, and from a simple consumer', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    void commits.commit([at(5n)], 'async').then(() => {})
    ;(await coordinator.requests(1))[0]?.answer()
    const refused = commits.commit([at(6n)], 'async')
    ;(await coordinator.requests(2))[1]?.answer({ 't-0': 12 }) // OFFSET_METADATA_TOO_LARGE
    await expect(refused).rejects.toBeInstanceOf(KafkaError)
    const again = commits.commit([at(6n)], 'async')
    const [, , third] = await coordinator.requests(3)
    expect(sentOffsets(third)).toEqual([[0, 6n]])
    third?.answer()
    await expect(again).resolves.toEqual([at(6n)])

    // A request that failed as a whole may have been written: the offset confirmed before it is in doubt.
    const rewind = commits.commit([at(2n)], 'sync')
    ;(await coordinator.requests(4))[3]?.fail(new Error('request timed out'))
    await expect(rewind).rejects.toThrow('request timed out')
    const forward = commits.commit([at(6n)], 'async')
    const [, , , , fifth] = await coordinator.requests(5)
    expect(sentOffsets(fifth)).toEqual([[0, 6n]])
    fifth?.answer()
    await expect(forward).resolves.toEqual([at(6n)])

    // A simple consumer's offsets expire unless committed again, so it rewrites them even when unchanged.
    const simple = fakeCoordinator()
    const standalone = manager(simple.access, undefined, { generationId: -1, memberId: '' })
    void standalone.commit([at(5n)], 'async')
    ;(await simple.requests(1))[0]?.answer()
    const repeated = standalone.commit([at(5n)], 'async')
    const [, second] = await simple.requests(2)
    expect(sentOffsets(second)).toEqual([[0, 5n]])
    second?.answer()
    await expect(repeated).resolves.toEqual([at(5n)])
  })

  it('retries a failed async commit while it is the newest, not once a newer one is queued', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    const alone = commits.commit([at(3n)], 'async')
    ;(await coordinator.requests(1))[0]?.answer({ 't-0': 14 }) // COORDINATOR_LOAD_IN_PROGRESS
    const [, retried] = await coordinator.requests(2)
    expect(sentOffsets(retried)).toEqual([[0, 3n]])
    retried?.answer()
    await expect(alone).resolves.toEqual([at(3n)])

    const stale = commits.commit([at(7n)], 'async')
    const [, , first] = await coordinator.requests(3)
    const newest = commits.commit([at(8n)], 'async')
    first?.answer({ 't-0': 14 })
    await expect(stale).rejects.toBeInstanceOf(KafkaError)
    const [, , , next] = await coordinator.requests(4)
    expect(sentOffsets(next)).toEqual([[0, 8n]]) // the newer commit, not the old one again
    next?.answer()
    await expect(newest).resolves.toEqual([at(8n)])
  })

  it('a stale generation fails with CommitFailedError naming the partitions; the others stay committed', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    const commit = commits.commit([at(4n), at(6n, 1)], 'sync')
    ;(await coordinator.requests(1))[0]?.answer({ 't-1': 22 }) // ILLEGAL_GENERATION
    const error = await commit.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitFailedError)
    expect((error as CommitFailedError).partitions).toEqual([{ topic: 't', partition: 1 }])
    expect(commits.lastConfirmed({ topic: 't', partition: 0 })).toBe(4n)
    expect(commits.lastConfirmed({ topic: 't', partition: 1 })).toBeUndefined()
    // The failed offset never reached the log: a lower async commit of that partition is not a rewind.
    const lower = commits.commit([at(2n, 1)], 'async')
    ;(await coordinator.requests(2))[1]?.answer()
    await expect(lower).resolves.toEqual([at(2n, 1)])
  })

  it('a commit answered after its partition was revoked leaves nothing behind for it', async () => {
    const coordinator = fakeCoordinator()
    const offsets = new PartitionOffsetsTable()
    const commits = manager(coordinator.access, offsets)
    const commit = commits.commit([at(9n), at(5n, 1)], 'async')
    const [first] = await coordinator.requests(1)
    offsets.revoke({ topic: 't', partition: 0 })
    first?.answer()
    await expect(commit).resolves.toEqual([at(9n), at(5n, 1)])
    expect(commits.lastConfirmed({ topic: 't', partition: 1 })).toBe(5n)
    // Assigned again: no confirmed offset and no floor from the old assignment, so a lower async commit goes.
    offsets.open('t', 0)
    expect(commits.lastConfirmed({ topic: 't', partition: 0 })).toBeUndefined()
    const lower = commits.commit([at(3n)], 'async')
    const [, second] = await coordinator.requests(2)
    expect(sentOffsets(second)).toEqual([[0, 3n]])
    second?.answer()
    await expect(lower).resolves.toEqual([at(3n)])
  })

  it('a commit that waited while the member rejoined goes out only for the partitions it kept', async () => {
    const coordinator = fakeCoordinator()
    const offsets = new PartitionOffsetsTable()
    const member = { generationId: 3, memberId: 'm' }
    const commits = manager(coordinator.access, offsets, member)
    void commits.commit([at(1n)], 'async')
    const [first] = await coordinator.requests(1)
    const waited = commits.commit([at(5n), at(6n, 1)], 'sync')
    const waitedAsync = commits.commit([at(7n, 2)], 'async')
    // While the first commit is on the wire, a rebalance takes partition 1 and the member joins generation 4.
    offsets.revoke({ topic: 't', partition: 1 })
    member.generationId = 4
    // Made under the new generation: not folded into the async commit made under the old one.
    const fresh = commits.commit([at(8n, 3)], 'async')
    first?.answer()
    const [, second] = await coordinator.requests(2)
    expect(second?.request.generationIdOrMemberEpoch).toBe(4)
    expect(sentOffsets(second)).toEqual([[0, 5n]])
    second?.answer()
    const refused = await waited.catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(CommitFailedError)
    expect((refused as CommitFailedError).partitions).toEqual([{ topic: 't', partition: 1 }])
    expect((refused as Error).message).toContain('t-1')
    const [, , third] = await coordinator.requests(3)
    expect(sentOffsets(third)).toEqual([[2, 7n]]) // partition 2 stayed assigned throughout
    third?.answer()
    await expect(waitedAsync).resolves.toEqual([at(7n, 2)])
    const [, , , fourth] = await coordinator.requests(4)
    expect(sentOffsets(fourth)).toEqual([[3, 8n]])
    fourth?.answer()
    await expect(fresh).resolves.toEqual([at(8n, 3)])
  })

  it('a commit that waited while the member lost its membership is not sent at all', async () => {
    const coordinator = fakeCoordinator()
    const member = { generationId: 3, memberId: 'm' }
    const commits = manager(coordinator.access, new PartitionOffsetsTable(), member)
    void commits.commit([at(1n)], 'async')
    const [first] = await coordinator.requests(1)
    const waited = commits.commit([at(5n), at(6n, 1)], 'async')
    // Sent as generation -1 with no member id, the coordinator would take it for a simple consumer's commit.
    member.generationId = -1
    member.memberId = ''
    first?.answer()
    const refused = await waited.catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(CommitFailedError)
    expect((refused as CommitFailedError).partitions).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ])
    await settle()
    expect(coordinator.received).toHaveLength(1)
    // Nothing of it reached the log: once a member again, a lower async commit is not refused as a rewind.
    member.generationId = 5
    member.memberId = 'm2'
    const lower = commits.commit([at(2n, 1)], 'async')
    const [, second] = await coordinator.requests(2)
    expect(sentOffsets(second)).toEqual([[1, 2n]])
    second?.answer()
    await expect(lower).resolves.toEqual([at(2n, 1)])
  })

  it('with the identity unchanged, a partition revoked while its commit waited still goes out', async () => {
    const coordinator = fakeCoordinator()
    const offsets = new PartitionOffsetsTable()
    const commits = manager(coordinator.access, offsets)
    void commits.commit([at(1n)], 'async')
    const [first] = await coordinator.requests(1)
    // The listener's commit on revoke, queued: the coordinator still accepts the generation it carries.
    const onRevoke = commits.commit([at(4n, 1)], 'sync')
    offsets.revoke({ topic: 't', partition: 1 })
    first?.answer()
    const [, second] = await coordinator.requests(2)
    expect(second?.request.generationIdOrMemberEpoch).toBe(3)
    expect(sentOffsets(second)).toEqual([[1, 4n]])
    second?.answer()
    await expect(onRevoke).resolves.toEqual([at(4n, 1)])
  })

  it('drain() waits for every queued commit', async () => {
    const coordinator = fakeCoordinator()
    const commits = manager(coordinator.access)
    void commits.commit([at(1n)], 'async')
    let drained = false
    const drain = commits.drain().then(() => {
      drained = true
    })
    await coordinator.requests(1)
    await settle()
    expect(drained).toBe(false)
    expect(commits.busy).toBe(true)
    coordinator.received[0]?.answer()
    await drain
    expect(commits.busy).toBe(false)
  })
})

describe('commit results in call order', () => {
  it('when a folded commit fails, every call that joined it rejects with the error, none unobserved', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const coordinator = fakeCoordinator()
      const commits = manager(coordinator.access)
      const inFlight = commits.commit([at(1n)], 'async')
      const [first] = await coordinator.requests(1)
      const waiting = commits.commit([at(2n)], 'async')
      const joined = commits.commit([at(3n)], 'async')
      first?.answer()
      await inFlight
      const [, second] = await coordinator.requests(2)
      expect(sentOffsets(second)).toEqual([[0, 3n]])
      second?.answer({ 't-0': 22 }) // ILLEGAL_GENERATION: the member's generation is stale
      await new Promise((resolve) => setTimeout(resolve, 20))
      await expect(waiting).rejects.toBeInstanceOf(KafkaError)
      await expect(joined).rejects.toBeInstanceOf(KafkaError)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
