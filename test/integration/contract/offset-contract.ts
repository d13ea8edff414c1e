/**
 * The contract of offset semantics that samsa's in-process broker must keep exactly as Apache Kafka does.
 * `defineOffsetContract` declares the same cases against any bootstrap; real-broker.test.ts runs them on the
 * JVM broker of the integration run (KAFKA_BOOTSTRAP), in-process-broker.test.ts on src/broker. A case that
 * passes on one and fails on the other is a bug in one of them, or a limit documented in docs/testing.md.
 */

import { describe, expect, it } from 'vitest'
import type { Admin } from '../../../src/admin/admin.ts'
import type { OffsetResetTarget } from '../../../src/admin/group-types.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { OffsetOutOfRangeError } from '../../../src/common/errors.ts'
import type { ConsumerOptions } from '../../../src/consumer/consumer-options.ts'
import type { KafkaConsumer } from '../../../src/kafka.ts'
import { Kafka } from '../../../src/kafka.ts'
import { ErrorCode } from '../../../src/protocol/errors/error-codes.ts'
import {
  createOffsetCommitRequest,
  createOffsetCommitRequestPartition,
  createOffsetCommitRequestTopic,
  OffsetCommit,
} from '../../../src/protocol/messages/offset-commit.ts'
import { versionCaps } from '../../../src/protocol/version-caps.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'

export interface ContractBroker {
  bootstrap(): string
}

/**
 * The ways a group rebalances: classic with an eager assignor (every partition revoked, then assigned),
 * classic with the cooperative one (only moved partitions revoked, in a second round), and KIP-848 with each
 * of Kafka's server-side assignors.
 */
const REBALANCE_PROTOCOLS: readonly { name: string; eager: boolean; options: ConsumerOptions }[] = [
  { name: 'classic eager (range)', eager: true, options: { groupProtocol: 'classic', assignors: ['range'] } },
  {
    name: 'classic cooperative-sticky',
    eager: false,
    options: { groupProtocol: 'classic', assignors: ['cooperative-sticky'] },
  },
  {
    name: 'KIP-848 uniform',
    eager: false,
    options: { groupProtocol: 'consumer', remoteAssignor: 'uniform' },
  },
  { name: 'KIP-848 range', eager: false, options: { groupProtocol: 'consumer', remoteAssignor: 'range' } },
]

const GROUP_PROTOCOLS = ['classic', 'consumer'] as const

export function defineOffsetContract(name: string, broker: ContractBroker): void {
  const kafka = () => new Kafka({ bootstrap: broker.bootstrap(), clientId: 'contract', logger: false })

  async function withAdmin<T>(run: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = kafka().admin()
    try {
      return await run(admin)
    } finally {
      await admin.close()
    }
  }

  async function topicWith(prefix: string, partitions: number, perPartition: number): Promise<string> {
    const topic = uniqueName(`contract-${prefix}`)
    await withAdmin((admin) => admin.createTopics([{ topic, partitions }]))
    const producer = kafka().producer({ lingerMs: 1 })
    await producer.sendBatch(
      Array.from({ length: partitions * perPartition }, (_, i) => ({
        topic,
        partition: i % partitions,
        value: `p${i % partitions}-${Math.floor(i / partitions)}`,
      })),
    )
    await producer.close()
    return topic
  }

  function consumer(options: ConsumerOptions): KafkaConsumer {
    return kafka().consumer({
      autoOffsetReset: 'earliest',
      ...(options.groupProtocol === 'classic' ? { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 } : {}),
      ...options,
    })
  }

  async function read(c: KafkaConsumer, count: number): Promise<string[]> {
    const values: string[] = []
    const deadline = Date.now() + 30_000
    while (values.length < count) {
      if (Date.now() > deadline) throw new Error(`read ${values.length} of ${count} records in 30 s`)
      for (const m of await c.poll({ timeoutMs: 200 })) values.push(m.value!.toString())
    }
    return values
  }

  async function committed(groupId: string, topic: string, partitions: number): Promise<(bigint | null)[]> {
    const rows = await withAdmin((admin) => admin.listGroupOffsets(groupId))
    return Array.from(
      { length: partitions },
      (_, p) => rows.find((r) => r.topic === topic && r.partition === p)?.committedOffset ?? null,
    )
  }

  describe(`offset contract on ${name}`, () => {
    for (const groupProtocol of GROUP_PROTOCOLS) {
      it(`${groupProtocol}: commit and resume: a new member starts at the committed offsets`, async () => {
        const topic = await topicWith('resume', 2, 5)
        const groupId = uniqueName('contract-resume')
        const first = consumer({ groupId, groupProtocol, enableAutoCommit: false })
        first.subscribe([topic])
        await read(first, 10)
        await first.commit([
          { topic, partition: 0, offset: 3n },
          { topic, partition: 1, offset: 4n },
        ])
        await first.close()
        expect(await committed(groupId, topic, 2)).toEqual([3n, 4n])
        const second = consumer({ groupId, groupProtocol, enableAutoCommit: false })
        second.subscribe([topic])
        const resumed = await read(second, 3)
        await second.close()
        expect(resumed.sort()).toEqual(['p0-3', 'p0-4', 'p1-4'])
      })
    }

    for (const groupProtocol of GROUP_PROTOCOLS) {
      it(`${groupProtocol}: a commit from an earlier generation or epoch, or from an unknown member, is refused`, async () => {
        const topic = await topicWith('fenced', 1, 1)
        const groupId = uniqueName('contract-fenced')
        const member = consumer({ groupId, groupProtocol, enableAutoCommit: false })
        member.subscribe([topic])
        await read(member, 1)
        const { generationId, memberId } = member.groupMetadata()
        const cluster = Cluster.create({ bootstrap: broker.bootstrap(), clientId: 'contract-fenced' })
        const commit = async (generation: number, asMember: string, offset: bigint) => {
          const connection = await cluster.coordinatorConnection('group', groupId)
          const response = await connection.request(
            OffsetCommit,
            createOffsetCommitRequest({
              groupId,
              generationIdOrMemberEpoch: generation,
              memberId: asMember,
              topics: [
                createOffsetCommitRequestTopic({
                  name: topic,
                  partitions: [
                    createOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: offset }),
                  ],
                }),
              ],
            }),
            { maxVersion: versionCaps.offsetCommit },
          )
          return response.topics[0]!.partitions[0]!.errorCode
        }
        try {
          expect(await commit(generationId - 1, memberId, 1n)).toBe(
            groupProtocol === 'classic' ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH,
          )
          expect(await commit(generationId, 'not-a-member', 1n)).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
          expect(await committed(groupId, topic, 1)).toEqual([null])
          expect(await commit(generationId, memberId, 1n)).toBe(ErrorCode.NONE)
        } finally {
          await cluster.close()
          await member.close()
        }
        expect(await committed(groupId, topic, 1)).toEqual([1n])
      })
    }

    for (const variant of REBALANCE_PROTOCOLS) {
      it(`${variant.name}: a rebalance loses nothing, revokes what it should, and the final commits reach the log ends`, async () => {
        const topic = await topicWith('rebalance', 4, 5)
        const groupId = uniqueName('contract-rebalance')
        const seen: string[] = []
        const revokedFromA = new Set<number>()
        const a = consumer({ groupId, ...variant.options, autoCommitIntervalMs: 200 })
        a.subscribe([topic], {
          onPartitionsRevoked: (ps) => {
            for (const p of ps) revokedFromA.add(p.partition)
          },
        })
        seen.push(...(await read(a, 20)))
        const b = consumer({ groupId, ...variant.options, autoCommitIntervalMs: 200 })
        b.subscribe([topic])
        const producer = kafka().producer({ lingerMs: 1 })
        await producer.sendBatch(
          Array.from({ length: 20 }, (_, i) => ({ topic, partition: i % 4, value: `late-${i}` })),
        )
        await producer.close()
        const deadline = Date.now() + 40_000
        while (new Set(seen.filter((v) => v.startsWith('late-'))).size < 20 || b.assignment().length === 0) {
          if (Date.now() > deadline) throw new Error('the two members did not read the late records in 40 s')
          const [fromA, fromB] = await Promise.all([a.poll({ timeoutMs: 100 }), b.poll({ timeoutMs: 100 })])
          for (const m of [...fromA, ...fromB]) seen.push(m.value!.toString())
        }
        // Each member ends with half; the first gave up every partition (eager) or only those that moved.
        const kept = a.assignment().map((p) => p.partition)
        const moved = b.assignment().map((p) => p.partition)
        expect([kept.length, moved.length]).toEqual([2, 2])
        expect([...revokedFromA].sort()).toEqual(variant.eager ? [0, 1, 2, 3] : moved.sort())
        await Promise.all([a.close(), b.close()])
        expect(new Set(seen).size).toBe(40)
        expect(await committed(groupId, topic, 4)).toEqual([10n, 10n, 10n, 10n])
      })
    }

    it('seek: reading starts where the application sought, in either direction', async () => {
      const topic = await topicWith('seek', 1, 10)
      const c = consumer({})
      c.assign([{ topic, partition: 0 }])
      c.seek({ topic, partition: 0, offset: 7n })
      expect(await read(c, 3)).toEqual(['p0-7', 'p0-8', 'p0-9'])
      c.seek({ topic, partition: 0, offset: 2n })
      expect((await read(c, 1))[0]).toBe('p0-2')
      c.seekToEnd([{ topic, partition: 0 }])
      expect(await c.positionAsync({ topic, partition: 0 })).toBe(10n)
      await c.close()
    })

    for (const groupProtocol of GROUP_PROTOCOLS) {
      it(`${groupProtocol}: auto-commit is never ahead: records of the last poll are not committed until the next poll`, async () => {
        const topic = await topicWith('auto', 1, 6)
        const groupId = uniqueName('contract-auto')
        const c = consumer({ groupId, groupProtocol, autoCommitIntervalMs: 100, maxPollRecords: 3 })
        c.subscribe([topic])
        let first: string[] = []
        while (first.length === 0) first = (await c.poll({ timeoutMs: 200 })).map((m) => m.value!.toString())
        expect(first).toEqual(['p0-0', 'p0-1', 'p0-2'])
        // Several auto-commit intervals pass while the application still processes the first poll.
        await new Promise((resolve) => setTimeout(resolve, 500))
        expect((await committed(groupId, topic, 1))[0] ?? 0n).toBe(0n)
        await c.poll({ timeoutMs: 200 })
        const deadline = Date.now() + 10_000
        let now = (await committed(groupId, topic, 1))[0]
        while (now !== 3n && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          now = (await committed(groupId, topic, 1))[0]
        }
        expect(now).toBe(3n)
        await c.close()
      })
    }

    it('transactions: read_committed sees committed records only; offsets commit with the transaction', async () => {
      const topic = await topicWith('txn', 1, 0)
      const groupId = uniqueName('contract-txn')
      const producer = kafka().producer({ transactionalId: uniqueName('contract-txn'), lingerMs: 0 })
      await producer.initTransactions()
      producer.beginTransaction()
      await producer.send({ topic, partition: 0, value: 'aborted' })
      await producer.abortTransaction()
      producer.beginTransaction()
      await producer.send({ topic, partition: 0, value: 'committed' })
      await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 1n }], {
        groupId,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
      })
      // Open: for read_committed the end of the log is the last stable offset, before the open transaction
      // (offset 0 the aborted record, 1 its marker, 2 the open one).
      const stable = consumer({ isolationLevel: 'read_committed' })
      stable.assign([{ topic, partition: 0 }])
      stable.seekToEnd([{ topic, partition: 0 }])
      expect(await stable.positionAsync({ topic, partition: 0 })).toBe(2n)
      await stable.close()
      expect(await committed(groupId, topic, 1)).toEqual([null])
      await producer.commitTransaction()
      await producer.close()
      expect(await committed(groupId, topic, 1)).toEqual([1n])
      const committedReader = consumer({ isolationLevel: 'read_committed' })
      committedReader.assign([{ topic, partition: 0 }])
      expect(await read(committedReader, 1)).toEqual(['committed'])
      expect(await committedReader.poll({ timeoutMs: 300 })).toEqual([])
      await committedReader.close()
      const everything = consumer({ isolationLevel: 'read_uncommitted' })
      everything.assign([{ topic, partition: 0 }])
      expect(await read(everything, 2)).toEqual(['aborted', 'committed'])
      await everything.close()
    })

    it('reset: an admin reset moves an idle group to a time, by a shift, to the log end, and a member resumes there', async () => {
      const topic = uniqueName('contract-reset')
      await withAdmin((admin) => admin.createTopics([{ topic, partitions: 1 }]))
      // Timestamps a second apart, recent enough for any broker's timestamp bounds.
      const base = Date.now() - 60_000
      const producer = kafka().producer({ lingerMs: 1 })
      await producer.sendBatch(
        Array.from({ length: 10 }, (_, i) => ({
          topic,
          partition: 0,
          value: `p0-${i}`,
          timestamp: base + i * 1000,
        })),
      )
      await producer.close()
      const groupId = uniqueName('contract-reset')
      const first = consumer({ groupId, groupProtocol: 'classic', enableAutoCommit: false })
      first.subscribe([topic])
      await read(first, 10)
      await first.commit([{ topic, partition: 0, offset: 8n }])
      await first.close()

      const reset = (to: OffsetResetTarget) =>
        withAdmin((admin) => admin.resetGroupOffsets(groupId, { topic, to, dryRun: false }))
      // The first record at or after a time between two records is the later one.
      expect(await reset({ timestamp: base + 2500 })).toEqual([
        { topic, partition: 0, previousOffset: 8n, newOffset: 3n },
      ])
      expect(await reset({ shiftBy: 2n })).toEqual([
        { topic, partition: 0, previousOffset: 3n, newOffset: 5n },
      ])
      expect(await committed(groupId, topic, 1)).toEqual([5n])
      const resumed = consumer({ groupId, groupProtocol: 'classic', enableAutoCommit: false })
      resumed.subscribe([topic])
      expect((await read(resumed, 1))[0]).toBe('p0-5')
      await resumed.close()
      expect(await reset('latest')).toEqual([{ topic, partition: 0, previousOffset: 5n, newOffset: 10n }])
      expect(await reset('earliest')).toEqual([{ topic, partition: 0, previousOffset: 10n, newOffset: 0n }])
    })

    it('DeleteRecords: readers start at the new log start; a committed offset below it resets or fails by autoOffsetReset', async () => {
      const topic = await topicWith('delete', 1, 10)
      const groupId = uniqueName('contract-delete')
      const early = consumer({ groupId, groupProtocol: 'classic', enableAutoCommit: false })
      early.subscribe([topic])
      await read(early, 10)
      await early.commit([{ topic, partition: 0, offset: 2n }])
      await early.close()
      const [deleted] = await withAdmin((admin) => admin.deleteRecords(topic, [{ partition: 0, offset: 6n }]))
      expect(deleted!.lowWatermark).toBe(6n)

      const fresh = consumer({})
      fresh.assign([{ topic, partition: 0 }])
      expect((await read(fresh, 1))[0]).toBe('p0-6')
      await fresh.close()

      const resumed = consumer({ groupId, groupProtocol: 'classic', enableAutoCommit: false })
      resumed.subscribe([topic])
      expect((await read(resumed, 1))[0]).toBe('p0-6')
      await resumed.close()

      const strict = consumer({
        groupId,
        groupProtocol: 'classic',
        enableAutoCommit: false,
        autoOffsetReset: 'none',
      })
      strict.subscribe([topic])
      let error: unknown
      const deadline = Date.now() + 20_000
      while (error === undefined && Date.now() < deadline) {
        try {
          await strict.poll({ timeoutMs: 200 })
        } catch (caught) {
          error = caught
        }
      }
      await strict.close()
      expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    })
  })
}
