import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Admin } from '../../../src/admin/admin.ts'
import type { ShareConsumer } from '../../../src/consumer/share/share-consumer.ts'
import type { ShareMessage } from '../../../src/consumer/share/share-message.ts'
import { startConsoleShareConsumer } from '../../../src/testing/java-share-tools.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { kafka, newShareGroup, produceValues, shareTopics, until } from './share-kit.ts'

const topics = shareTopics()
afterAll(() => topics.close())

/** Polls and accepts until `stop()` holds; records each value with its delivery count. */
async function work(
  consumer: ShareConsumer,
  seen: Array<{ value: string; deliveryCount: number }>,
  stop: () => boolean,
  delayMs = 0,
): Promise<void> {
  while (!stop()) {
    for (const message of await consumer.poll({ timeoutMs: 200 })) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      seen.push({ value: message.value!.toString(), deliveryCount: message.deliveryCount })
      message.ack()
    }
  }
}

const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`).sort()

/** Waits until the group's coordinator lists `count` members, each assigned something. */
async function waitForMembers(admin: Admin, groupId: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const group = await admin.describeShareGroup(groupId).catch(() => undefined)
    const members = group?.members ?? []
    if (members.length >= count && members.every((member) => member.assignment.length > 0)) return
    if (Date.now() > deadline) throw new Error(`the share group never had ${count} assigned members`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('share groups', () => {
  it('four share consumers on a one-partition topic process every record, each accepted exactly once', async () => {
    const topic = await topics.create('share-four')
    const groupId = await newShareGroup(topics)
    const consumers = Array.from({ length: 4 }, () => kafka.shareConsumer({ groupId, maxPollRecords: 10 }))
    const seen = consumers.map(() => [] as Array<{ value: string; deliveryCount: number }>)
    const total = 200
    try {
      for (const consumer of consumers) consumer.subscribe([topic])
      await until('every member to be assigned the partition', () =>
        consumers.every((consumer) => consumer.assignment().length === 1),
      )
      const count = () => seen.reduce((sum, list) => sum + list.length, 0)
      const workers = consumers.map((consumer, i) => work(consumer, seen[i]!, () => count() >= total, 5))
      for (let batch = 0; batch < total / 10; batch++) {
        await produceValues(topic, 10, 0, batch * 10)
      }
      await until(`${total} records`, () => count() >= total, 60_000)
      await Promise.all(workers)
    } finally {
      await Promise.all(consumers.map((consumer) => consumer.close()))
    }
    const all = seen.flat()
    expect(all.map((entry) => entry.value).sort()).toEqual(
      Array.from({ length: total }, (_, i) => `v${i}`).sort(),
    )
    expect(all.every((entry) => entry.deliveryCount === 1)).toBe(true)
    // The members shared the partition's records.
    expect(seen.filter((list) => list.length > 0).length).toBeGreaterThan(1)
  })

  it('records of a SIGKILLed member come back at once; those of a member too slow to acknowledge after the lock timeout', async () => {
    // The slow member first: it takes records and sits on them past the lock duration (the shortest the
    // broker allows, group.share.min.record.lock.duration.ms, 15 s by default), while the crash runs meanwhile.
    const slowTopic = await topics.create('share-slow')
    const slowGroup = await newShareGroup(topics, { 'share.record.lock.duration.ms': '15000' })
    await produceValues(slowTopic, 10)
    const slow = kafka.shareConsumer({ groupId: slowGroup, acknowledgement: 'explicit' })
    const rescuers: ShareConsumer[] = []
    try {
      slow.subscribe([slowTopic])
      const late = await slow.poll({ timeoutMs: 10_000 })
      expect(late.length).toBeGreaterThan(0)
      expect(slow.acquisitionLockTimeoutMs).toBe(15_000)
      // One record it keeps renewing (KIP-1222, RENEW) from now on, every 4 s, well within the 15 s lock.
      const [kept, ...expired] = late as [ShareMessage, ...ShareMessage[]]
      const stopRenewing = new AbortController()
      let renewals = 0
      const renewing = (async () => {
        while (!stopRenewing.signal.aborted) {
          await kept.renew()
          renewals++
          await new Promise((resolve) => {
            const timer = setTimeout(resolve, 4000)
            stopRenewing.signal.addEventListener('abort', () => resolve(clearTimeout(timer)), { once: true })
          })
        }
      })()

      // The crash: a member in another process takes records and is killed holding them. The broker
      // releases what a share session held when its connection closes, so they come back without waiting
      // for the lock to expire, each with its delivery count up by one; nothing is lost.
      const crashTopic = await topics.create('share-crash')
      const crashGroup = await newShareGroup(topics)
      for (let i = 0; i < 10; i++) await produceValues(crashTopic, 1, 0, i)
      const fixture = join(import.meta.dirname, 'fixtures', 'hold-records.ts')
      const child = spawn(process.execPath, [fixture, kafkaBootstrap(), crashGroup, crashTopic], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const [line] = (await once(child.stdout!, 'data')) as [Buffer]
      const held = JSON.parse(line.toString()) as string[]
      expect(held.length).toBeGreaterThan(0)
      child.kill('SIGKILL')
      await once(child, 'exit')
      const afterCrash = kafka.shareConsumer({ groupId: crashGroup })
      rescuers.push(afterCrash)
      afterCrash.subscribe([crashTopic])
      const recovered: Array<{ value: string; deliveryCount: number }> = []
      await work(afterCrash, recovered, () => recovered.length >= 10)
      expect(recovered.map((entry) => entry.value).sort()).toEqual(values(10))
      // What it printed came back a second time; it may have acquired more than it printed (a response can
      // carry more than maxPollRecords; the rest waited in its buffer), and those came back too.
      for (const entry of recovered) {
        if (held.includes(entry.value)) expect(entry.deliveryCount).toBe(2)
        else expect([1, 2]).toContain(entry.deliveryCount)
      }

      // The slow member's records come back once their locks expire, to another member; all but the one it
      // keeps renewing, which stays locked to it.
      const rescuer = kafka.shareConsumer({ groupId: slowGroup })
      rescuers.push(rescuer)
      rescuer.subscribe([slowTopic])
      const rescued: Array<{ value: string; deliveryCount: number }> = []
      await work(rescuer, rescued, () => rescued.length >= 9)
      stopRenewing.abort()
      await renewing
      // The others' locks (15 s) expired meanwhile, so the kept one outlived its own first lock by renewals.
      expect(renewals).toBeGreaterThan(1)
      const keptValue = kept.value!.toString()
      expect(rescued.map((entry) => entry.value).sort()).toEqual(values(10).filter((v) => v !== keptValue))
      const expiredValues = expired.map((m) => m.value!.toString())
      for (const entry of rescued) {
        expect(entry.deliveryCount).toBe(expiredValues.includes(entry.value) ? 2 : 1)
      }
      // The renewed record is still this member's to accept.
      kept.ack()
      expect(await slow.commit()).toEqual([
        { topic: slowTopic, partition: 0, offsets: [kept.offset], error: null },
      ])
      // Its other acknowledgements arrive too late: typed errors naming each record.
      for (const message of expired) message.ack()
      const results = await slow.commit()
      const failed = results.filter((result) => result.error !== null)
      expect(failed.flatMap((result) => result.offsets).sort()).toEqual(expired.map((m) => m.offset).sort())
      expect(failed.every((result) => result.error!.errorName === 'INVALID_RECORD_STATE')).toBe(true)
    } finally {
      await Promise.all([slow.close(), ...rescuers.map((consumer) => consumer.close())])
    }
  }, 90_000)

  it("interop: a samsa share consumer and Kafka's ConsoleShareConsumer in one share group split the work", async () => {
    const topic = await topics.create('share-interop')
    const groupId = await newShareGroup(topics)
    const java = await startConsoleShareConsumer({ bootstrap: kafkaBootstrap(), topic, group: groupId })
    const samsa = kafka.shareConsumer({ groupId, maxPollRecords: 10 })
    const seen: Array<{ value: string; deliveryCount: number }> = []
    const total = 200
    try {
      samsa.subscribe([topic])
      // Both must be members before the records exist, or the first to fetch could take them all.
      const admin = kafka.admin()
      try {
        await until('both members to be assigned the partition', () => samsa.assignment().length === 1)
        await waitForMembers(admin, groupId, 2)
      } finally {
        await admin.close()
      }
      const count = () => seen.length + java.values().length
      const worker = work(samsa, seen, () => count() >= total, 20)
      for (let batch = 0; batch < total / 10; batch++) await produceValues(topic, 10, 0, batch * 10)
      await until(`${total} records between the two`, () => count() >= total, 60_000)
      await worker
    } finally {
      await samsa.close()
      await java.stop()
    }
    const values = [...seen.map((entry) => entry.value), ...java.values()]
    expect(values.sort()).toEqual(Array.from({ length: total }, (_, i) => `v${i}`).sort())
    expect(seen.length).toBeGreaterThan(0)
    expect(java.values().length).toBeGreaterThan(0)
  }, 120_000)
})
