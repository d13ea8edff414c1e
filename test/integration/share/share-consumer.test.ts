import { afterAll, describe, expect, it } from 'vitest'
import { IllegalStateError } from '../../../src/common/errors.ts'
import type { ShareConsumer } from '../../../src/consumer/share/share-consumer.ts'
import { AcknowledgementError, type AcknowledgementResult } from '../../../src/consumer/share/share-errors.ts'
import type { ShareMessage } from '../../../src/consumer/share/share-message.ts'
import { ShareGroupHeartbeat } from '../../../src/protocol/messages/share-group-heartbeat.ts'
import { kafka, newShareGroup, produceValues, shareTopics, until } from './share-kit.ts'

const topics = shareTopics()
afterAll(() => topics.close())

describe('share consumer', () => {
  it('joins, fetches every record once with deliveryCount 1, and accepts them implicitly', async () => {
    const topic = await topics.create('share-basic')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 20)
    const consumer = kafka.shareConsumer({ groupId })
    const seen: string[] = []
    try {
      consumer.subscribe([topic])
      while (seen.length < 20) {
        const messages = await consumer.poll({ timeoutMs: 500 })
        for (const message of messages) {
          expect(message.deliveryCount).toBe(1)
          seen.push(message.value!.toString())
        }
      }
      const results = await consumer.commit()
      expect(results.every((result) => result.error === null)).toBe(true)
    } finally {
      await consumer.close()
    }
    expect(seen.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort())

    // Everything was accepted: a new member of the group finds nothing left.
    const second = kafka.shareConsumer({ groupId })
    try {
      second.subscribe([topic])
      const deadline = Date.now() + 3000
      let leftovers = 0
      while (Date.now() < deadline) leftovers += (await second.poll({ timeoutMs: 500 })).length
      expect(leftovers).toBe(0)
    } finally {
      await second.close()
    }
  })
})

describe('share consumer close', () => {
  it('records fetched but never delivered go back to the group when the consumer closes', async () => {
    const topic = await topics.create('share-close')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 10)
    // One fetch acquires all ten (they are one batch); poll hands out two, the rest wait in the buffer.
    const first = kafka.shareConsumer({ groupId, maxPollRecords: 2 })
    let delivered: string[] = []
    try {
      first.subscribe([topic])
      while (delivered.length === 0) {
        delivered = (await first.poll({ timeoutMs: 500 })).map((m) => m.value!.toString())
      }
    } finally {
      await first.close() // implicit mode: the two delivered are accepted
    }
    expect(delivered).toHaveLength(2)
    const second = kafka.shareConsumer({ groupId })
    const rest: Array<{ value: string; deliveryCount: number }> = []
    try {
      second.subscribe([topic])
      while (rest.length < 8) {
        for (const m of await second.poll({ timeoutMs: 500 })) {
          rest.push({ value: m.value!.toString(), deliveryCount: m.deliveryCount })
        }
      }
    } finally {
      await second.close()
    }
    expect([...delivered, ...rest.map((r) => r.value)].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `v${i}`).sort(),
    )
    // They were acquired once by the first member, so this is their second delivery.
    expect(rest.every((r) => r.deliveryCount === 2)).toBe(true)
  })
})

describe('share consumer acquire modes', () => {
  it("acquireMode 'record-limit' acquires only maxPollRecords of a batch; 'batch-optimized' takes the batch", async () => {
    const topic = await topics.create('share-acquire')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 10) // one batch
    const limited = kafka.shareConsumer({ groupId, maxPollRecords: 2, acquireMode: 'record-limit' })
    const greedy = kafka.shareConsumer({ groupId, maxPollRecords: 2 })
    const other = kafka.shareConsumer({ groupId, acknowledgement: 'explicit' })
    try {
      limited.subscribe([topic])
      let got: ShareMessage[] = []
      while (got.length === 0) got = await limited.poll({ timeoutMs: 500 })
      expect(got).toHaveLength(2)
      // Only those two are locked: another member gets the other eight at once, on first delivery.
      other.subscribe([topic])
      const rest: ShareMessage[] = []
      while (rest.length < 8) rest.push(...(await other.poll({ timeoutMs: 500 })))
      expect(rest.map((m) => m.deliveryCount)).toEqual(Array(8).fill(1))
      for (const m of rest) m.nack()
      await other.commit()
      // Batch-optimized: one fetch of a member asking for 2 acquires all eight released records.
      greedy.subscribe([topic])
      let taken: ShareMessage[] = []
      while (taken.length === 0) taken = await greedy.poll({ timeoutMs: 500 })
      expect(taken).toHaveLength(2)
      expect(await other.poll({ timeoutMs: 1500 })).toEqual([])
    } finally {
      await Promise.all([limited.close(), greedy.close(), other.close()])
    }
  })
})

describe('share consumer acknowledgements', () => {
  it('released records come back with a higher delivery count, rejected ones never do (explicit mode)', async () => {
    const topic = await topics.create('share-ack')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 10)
    const consumer = kafka.shareConsumer({ groupId, acknowledgement: 'explicit' })
    try {
      consumer.subscribe([topic])
      const first = await pollUntil(consumer, 10)
      expect(first.map((m) => m.deliveryCount)).toEqual(Array(10).fill(1))
      // Explicit mode: asking for more before acknowledging everything delivered is an error.
      await expect(consumer.poll({ timeoutMs: 0 })).rejects.toBeInstanceOf(IllegalStateError)
      for (const message of first) {
        const value = message.value!.toString()
        if (['v0', 'v1', 'v2'].includes(value)) message.nack()
        else if (['v3', 'v4'].includes(value)) message.reject()
        else message.ack()
      }
      expect(() => first[0]!.ack()).toThrow(IllegalStateError)
      const results = await consumer.commit()
      expect(results.flatMap((result) => result.offsets).sort()).toEqual(first.map((m) => m.offset).sort())
      expect(results.filter((result) => result.error !== null)).toEqual([])

      const again = await pollUntil(consumer, 3)
      expect(again.map((m) => m.value!.toString()).sort()).toEqual(['v0', 'v1', 'v2'])
      expect(again.map((m) => m.deliveryCount)).toEqual([2, 2, 2])
      for (const message of again) message.ack()
      await consumer.commit()
      // The rejected two are archived: nothing more arrives.
      expect(await drain(consumer, 2000)).toEqual([])
    } finally {
      await consumer.close()
    }
  })

  it('acknowledgements of a partition the member no longer fetches from still reach the broker', async () => {
    const topic = await topics.create('share-moved', 2)
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 5, 0)
    await produceValues(topic, 5, 1, 5)
    const a = kafka.shareConsumer({ groupId, acknowledgement: 'explicit' })
    const b = kafka.shareConsumer({ groupId })
    try {
      a.subscribe([topic])
      await until('a to own both partitions', () => a.assignment().length === 2)
      const held: ShareMessage[] = []
      const partitions = () => new Set(held.map((m) => m.partition)).size
      while (partitions() < 2) {
        const messages = await a.poll({ timeoutMs: 500 })
        held.push(...messages)
        // Explicit mode: what arrived must be settled before asking again; release it and ask again.
        if (partitions() < 2) for (const m of messages) m.nack()
      }
      const open = held.filter((m) => m.acknowledgement === undefined)
      b.subscribe([topic])
      await until('the partitions to be split', () => a.assignment().length === 1)
      const results: AcknowledgementResult[] = []
      a.onAcknowledgement((batch) => results.push(...batch))
      for (const message of open) message.ack()
      // No commit: the acknowledgements go with the next poll's requests. The one for the partition `a`
      // lost must not put that partition back into its share session, so `a` reads only its own now.
      await produceValues(topic, 5, 0, 10)
      await produceValues(topic, 5, 1, 15)
      const [kept] = a.assignment()
      const later: ShareMessage[] = []
      for (let i = 0; i < 6; i++) {
        const messages = await a.poll({ timeoutMs: 500 })
        for (const message of messages) message.ack()
        later.push(...messages)
      }
      const answered = results.filter((result) => open.some((m) => result.offsets.includes(m.offset)))
      expect(answered.flatMap((result) => result.offsets).length).toBeGreaterThanOrEqual(open.length)
      expect(results.filter((result) => result.error !== null)).toEqual([])
      expect(later.length).toBeGreaterThan(0)
      expect(later.every((message) => message.partition === kept!.partition)).toBe(true)
      // Nor did `a` acquire the moved partition's new records behind the scenes: `b` gets them on their first
      // delivery (records `a` had acquired would only come back after the lock, with deliveryCount 2).
      const fresh: ShareMessage[] = []
      while (fresh.length < 5) {
        for (const message of await b.poll({ timeoutMs: 500 })) {
          if (Number(message.value!.toString().slice(1)) >= 10) fresh.push(message)
        }
      }
      expect(fresh.every((message) => message.partition !== kept!.partition)).toBe(true)
      expect(fresh.map((message) => message.deliveryCount)).toEqual([1, 1, 1, 1, 1])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

/** Polls until `count` records arrived (acknowledging nothing), for explicit-mode tests. */
async function pollUntil(consumer: ShareConsumer, count: number): Promise<ShareMessage[]> {
  const got: ShareMessage[] = []
  const deadline = Date.now() + 20_000
  while (got.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${count} records arrived`)
    // Explicit mode forbids polling with records unacknowledged, so read them one delivery at a time and
    // hold them: the consumer's buffer hands the rest out on the next call only after these are settled.
    const messages = await consumer.poll({ timeoutMs: 500 })
    got.push(...messages)
    if (got.length < count && messages.length > 0) {
      throw new Error(`expected ${count} records in one poll, got ${messages.length}`)
    }
  }
  return got
}

/** Everything that arrives within `ms`, accepting it. */
async function drain(consumer: ShareConsumer, ms: number): Promise<string[]> {
  const values: string[] = []
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    for (const message of await consumer.poll({ timeoutMs: 250 })) {
      values.push(message.value!.toString())
      message.ack()
    }
  }
  return values
}

describe('share consumer membership', () => {
  it('a member the coordinator dropped rejoins with the same member id and goes on consuming', async () => {
    const topic = await topics.create('share-fenced')
    const groupId = await newShareGroup(topics)
    const consumer = kafka.shareConsumer({ groupId })
    const values: string[] = []
    try {
      consumer.subscribe([topic])
      await until('the assignment', () => consumer.assignment().length === 1)
      await produceValues(topic, 3)
      while (values.length < 3)
        for (const m of await consumer.poll({ timeoutMs: 500 })) values.push(m.value!.toString())
      // Someone else removes the member (as the coordinator does after a missed session timeout).
      const coordinator = await topics.cluster.coordinatorConnection('group', groupId)
      const left = await coordinator.request(ShareGroupHeartbeat, {
        groupId,
        memberId: consumer.memberId,
        memberEpoch: -1,
        rackId: null,
        subscribedTopicNames: null,
      })
      expect(left.errorCode).toBe(0)
      // Its next heartbeat is answered UNKNOWN_MEMBER_ID; it rejoins (epoch 0) under the same id. Polls go on
      // meanwhile and must not fail.
      const admin = kafka.admin()
      try {
        const listed = async () =>
          (await admin.describeShareGroup(groupId)).members.some((m) => m.memberId === consumer.memberId)
        expect(await listed()).toBe(false)
        while (!(await listed()))
          values.push(...(await consumer.poll({ timeoutMs: 500 })).map((m) => m.value!.toString()))
      } finally {
        await admin.close()
      }
      await produceValues(topic, 3, 0, 3)
      while (values.length < 6)
        for (const m of await consumer.poll({ timeoutMs: 500 })) values.push(m.value!.toString())
      expect(values.sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
    } finally {
      await consumer.close()
    }
  })

  it('records held while the member was dropped and rejoined: commit reports their acks failed, they come back', async () => {
    const topic = await topics.create('share-dropped')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 3)
    const consumer = kafka.shareConsumer({ groupId })
    const admin = kafka.admin()
    try {
      consumer.subscribe([topic])
      const held: ShareMessage[] = []
      while (held.length < 3) held.push(...(await consumer.poll({ timeoutMs: 500 })))
      // Dropped while processing them; it rejoins on its own (heartbeats run on a timer), but the share
      // session the records were acquired in is closed on the way and the broker releases them.
      const coordinator = await topics.cluster.coordinatorConnection('group', groupId)
      await coordinator.request(ShareGroupHeartbeat, {
        groupId,
        memberId: consumer.memberId,
        memberEpoch: -1,
        rackId: null,
        subscribedTopicNames: null,
      })
      const listed = async () =>
        (await admin.describeShareGroup(groupId)).members.some((m) => m.memberId === consumer.memberId)
      while (!(await listed())) await new Promise((resolve) => setTimeout(resolve, 200))
      await until('the assignment back', () => consumer.assignment().length === 1)
      // Implicit mode: commit() accepts the held records, and says it could not.
      const results = await consumer.commit()
      expect(results.flatMap((result) => result.offsets).sort()).toEqual(held.map((m) => m.offset).sort())
      expect(results.every((result) => result.error instanceof AcknowledgementError)).toBe(true)
      const again: ShareMessage[] = []
      while (again.length < 3) again.push(...(await consumer.poll({ timeoutMs: 500 })))
      expect(again.map((m) => m.deliveryCount)).toEqual([2, 2, 2])
    } finally {
      await admin.close()
      await consumer.close()
    }
  })

  it('unsubscribe() leaves the group after sending its acknowledgements; subscribe() joins again', async () => {
    const topic = await topics.create('share-unsubscribe')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 10)
    const a = kafka.shareConsumer({ groupId, maxPollRecords: 4 })
    const b = kafka.shareConsumer({ groupId })
    const admin = kafka.admin()
    try {
      a.subscribe([topic])
      let first: ShareMessage[] = []
      while (first.length === 0) first = await a.poll({ timeoutMs: 500 })
      a.acknowledge(first[0]!, 'reject')
      const committed = await new Promise<AcknowledgementResult[]>((resolve, reject) =>
        a.commitAsync((error, results) => (error === null ? resolve(results) : reject(error))),
      )
      // commitAsync also accepted the rest of the delivery (implicit mode).
      expect(committed.flatMap((r) => r.offsets).sort()).toEqual(first.map((m) => m.offset).sort())
      expect(committed.every((r) => r.error === null)).toBe(true)
      await a.unsubscribe()
      expect(a.assignment()).toEqual([])
      const members = (await admin.describeShareGroup(groupId)).members.map((m) => m.memberId)
      expect(members).not.toContain(a.memberId)
      // What `a` had fetched but not delivered is B's now; what it acknowledged is not.
      b.subscribe([topic])
      const rest: ShareMessage[] = []
      while (rest.length < 10 - first.length) rest.push(...(await b.poll({ timeoutMs: 500 })))
      const values = [...first, ...rest].map((m) => m.value!.toString()).sort()
      expect(values).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort())
      a.subscribe([topic])
      await until('a to be assigned again', () => a.assignment().length === 1)
    } finally {
      await admin.close()
      await Promise.all([a.close(), b.close()])
    }
  })
})
