import { afterAll, describe, expect, it } from 'vitest'
import { AckMessage, NackMessage, RejectMessage } from '../../../src/processing/outcomes.ts'
import { kafka, newShareGroup, produceValues, shareTopics, until } from './share-kit.ts'

const topics = shareTopics()
afterAll(() => topics.close())

const all = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`)

/** Polls a fresh member of `groupId` for `ms` and returns whatever is still available. */
async function leftovers(groupId: string, topic: string, ms: number): Promise<string[]> {
  const probe = kafka.shareConsumer({ groupId })
  const values: string[] = []
  try {
    probe.subscribe([topic])
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      for (const message of await probe.poll({ timeoutMs: 250 })) values.push(message.value!.toString())
    }
  } finally {
    await probe.close()
  }
  return values
}

describe('shareConsumer.run()', () => {
  it('eachMessage: return/AckMessage accept, NackMessage and errors release, RejectMessage rejects', async () => {
    const topic = await topics.create('share-run')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 20)
    const consumer = kafka.shareConsumer({ groupId })
    const accepted: string[] = []
    const deliveries: Array<{ value: string; deliveryCount: number }> = []
    const errors: unknown[] = []
    consumer.subscribe([topic])
    const run = await consumer.run({
      concurrency: 4,
      onError: (error) => errors.push(error),
      eachMessage: async ({ message }) => {
        const value = message.value!.toString()
        deliveries.push({ value, deliveryCount: message.deliveryCount })
        const n = Number(value.slice(1))
        if (n < 5 && message.deliveryCount === 1) throw new NackMessage()
        if (n === 5 || n === 6) throw new RejectMessage('unparseable')
        if (n === 7 && message.deliveryCount === 1) throw new Error('transient')
        accepted.push(value)
        if (n === 8) throw new AckMessage()
      },
    })
    try {
      await until('18 records accepted', () => accepted.length >= 18)
    } finally {
      await run.stop()
    }
    await run.done
    expect(accepted.sort()).toEqual(
      all(20)
        .filter((v) => v !== 'v5' && v !== 'v6')
        .sort(),
    )
    const redelivered = deliveries.filter((d) => d.deliveryCount === 2).map((d) => d.value)
    expect(redelivered.sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v7'])
    expect(errors).toHaveLength(1)
    expect((errors[0] as Error).message).toBe('transient')
    expect(await leftovers(groupId, topic, 2000)).toEqual([])
  })

  it('eachBatch: what the handler did not settle follows its outcome; a throw releases the rest', async () => {
    const topic = await topics.create('share-run-batch')
    const groupId = await newShareGroup(topics)
    await produceValues(topic, 10)
    const consumer = kafka.shareConsumer({ groupId })
    const seen: Array<{ value: string; deliveryCount: number }> = []
    consumer.subscribe([topic])
    const run = await consumer.run({
      onError: () => {},
      eachBatch: async ({ messages }) => {
        for (const message of messages) {
          seen.push({ value: message.value!.toString(), deliveryCount: message.deliveryCount })
        }
        // The first delivery: reject v9, then fail, so everything else is released and comes back.
        if (messages.some((message) => message.deliveryCount === 1)) {
          messages.find((message) => message.value!.toString() === 'v9')?.reject()
          throw new Error('batch failed')
        }
      },
    })
    try {
      await until('the redelivery', () => seen.filter((s) => s.deliveryCount === 2).length >= 9)
    } finally {
      await run.stop()
    }
    const second = seen.filter((s) => s.deliveryCount === 2).map((s) => s.value)
    expect(second.sort()).toEqual(all(9).sort())
    expect(await leftovers(groupId, topic, 2000)).toEqual([])
  })

  it("a poison record is archived by the broker at the group's delivery-count limit", async () => {
    const topic = await topics.create('share-poison')
    // The lowest limit the broker accepts (group.share.min.delivery.count.limit).
    const groupId = await newShareGroup(topics, { 'share.delivery.count.limit': '2' })
    await produceValues(topic, 5)
    const consumer = kafka.shareConsumer({ groupId })
    const poison: number[] = []
    const done: string[] = []
    consumer.subscribe([topic])
    const run = await consumer.run({
      onError: () => {},
      eachMessage: async ({ message }) => {
        if (message.value!.toString() === 'v3') {
          poison.push(message.deliveryCount)
          throw new Error('cannot parse')
        }
        done.push(message.value!.toString())
      },
    })
    try {
      await until('the poison record twice and the others once', () => poison.length >= 2 && done.length >= 4)
    } finally {
      await run.stop()
    }
    expect(done.sort()).toEqual(['v0', 'v1', 'v2', 'v4'])
    expect(poison).toEqual([1, 2])
    // Released at its last allowed delivery, it was archived instead of made available again.
    expect(await leftovers(groupId, topic, 2000)).toEqual([])
  })

  it('renewLocks: a handler running longer than the lock keeps its record; nobody else gets it meanwhile', async () => {
    const topic = await topics.create('share-renew-run')
    // The shortest lock the broker allows (15 s by default), so the handler outlasts it.
    const groupId = await newShareGroup(topics, { 'share.record.lock.duration.ms': '15000' })
    await produceValues(topic, 1)
    const worker = kafka.shareConsumer({ groupId })
    const other = kafka.shareConsumer({ groupId })
    let started = 0
    let finish!: () => void
    const finished = new Promise<void>((resolve) => {
      finish = resolve
    })
    const errors: unknown[] = []
    worker.subscribe([topic])
    const run = await worker.run({
      renewLocks: true,
      onError: (error) => errors.push(error),
      eachMessage: async () => {
        started = Date.now()
        await finished
      },
    })
    const stolen: string[] = []
    try {
      await until('the handler to start', () => started > 0)
      other.subscribe([topic])
      // Past the 15 s lock, with a margin for the broker's expiry timer.
      while (Date.now() - started < 18_000) {
        for (const m of await other.poll({ timeoutMs: 500 })) stolen.push(m.value!.toString())
      }
      finish()
    } finally {
      finish()
      await run.stop()
      await other.close()
    }
    expect(stolen).toEqual([])
    expect(errors).toEqual([])
    expect(await leftovers(groupId, topic, 1500)).toEqual([])
  }, 60_000)
})
