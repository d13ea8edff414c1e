import { afterAll, describe, expect, it } from 'vitest'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { RecordTooLargeError } from '../../../src/producer/errors.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { ProducerOptions } from '../../../src/producer/producer-options.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

const topics = new TestTopics('producer-split-test')
const { cluster } = topics

afterAll(() => topics.close())

/** A one-partition topic whose broker-side batch limit is far below the producer's batch size. */
function smallBatchTopic(prefix: string): Promise<string> {
  return topics.create(prefix, 1, { 'max.message.bytes': '2000' })
}

/** Reads partition 0 of `topic` from the start until `count` records arrived. */
async function readAll(topic: string, count: number): Promise<{ offset: bigint; key: string }[]> {
  const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
  consumer.assign([{ topic, partition: 0 }])
  const seen: { offset: bigint; key: string }[] = []
  const deadline = Date.now() + 30_000
  try {
    while (seen.length < count && Date.now() < deadline) {
      for (const message of await consumer.poll({ timeoutMs: 500 })) {
        seen.push({ offset: message.offset, key: message.key!.toString() })
      }
    }
    // Anything beyond `count` would be a duplicate: give it a moment to show up.
    seen.push(
      ...(await consumer.poll({ timeoutMs: 500 })).map((m) => ({ offset: m.offset, key: m.key!.toString() })),
    )
  } finally {
    await consumer.close()
  }
  return seen
}

const splitting: ProducerOptions = { batchBytes: 64 * 1024, lingerMs: 50 }

describe('batches the broker refuses as too large', () => {
  it.each([
    { idempotent: true, compression: 'none' },
    { idempotent: false, compression: 'none' },
    { idempotent: true, compression: 'lz4' },
  ] as const)(
    'are split and delivered in order without duplicates (idempotent $idempotent, $compression)',
    async ({ idempotent, compression }) => {
      const topic = await smallBatchTopic('producer-split')
      // Random values so compression cannot shrink a 64 KiB batch under the 2000-byte limit.
      const count = 1000
      const producer = new Producer(cluster, {
        ...splitting,
        idempotent,
        compression,
        ...(idempotent ? {} : { acks: 1 }),
      })
      let results: Awaited<ReturnType<Producer['sendBatch']>>
      try {
        results = await producer.sendBatch(
          Array.from({ length: count }, (_, i) => ({
            topic,
            key: `k${String(i).padStart(4, '0')}`,
            value: crypto.getRandomValues(Buffer.alloc(300)),
          })),
        )
      } finally {
        await producer.close()
      }
      // Every send resolved with the offset its record was written at: 0..count-1 in send order.
      expect(results.map((r) => r.offset)).toEqual(Array.from({ length: count }, (_, i) => BigInt(i)))

      const read = await readAll(topic, count)
      expect(read).toHaveLength(count)
      expect(read.map((r) => r.offset)).toEqual(Array.from({ length: count }, (_, i) => BigInt(i)))
      expect(read.map((r) => r.key)).toEqual(
        Array.from({ length: count }, (_, i) => `k${String(i).padStart(4, '0')}`),
      )
    },
  )

  it('fail only the record that is too large on its own, naming topic, partition, size and limit', async () => {
    const topic = await smallBatchTopic('producer-split-one')
    const producer = new Producer(cluster, splitting)
    const sends = Array.from({ length: 30 }, (_, i) =>
      producer
        .send({ topic, key: `k${i}`, value: Buffer.alloc(i === 17 ? 5000 : 300, 1) })
        .then((metadata) => ({ ok: true as const, offset: metadata.offset, i }))
        .catch((error: unknown) => ({ ok: false as const, error, i })),
    )
    const outcomes = await Promise.all(sends)
    await producer.close()

    const failed = outcomes.filter((o) => !o.ok)
    expect(failed.map((o) => o.i)).toEqual([17])
    const error = (failed[0] as { error: unknown }).error
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect(error).toMatchObject({ topic, partition: 0, maxBytes: 2000, retriable: false })
    expect((error as RecordTooLargeError).sizeBytes).toBeGreaterThan(5000)
    expect((error as Error).message).toMatch(new RegExp(`"${topic}" partition 0.*\\b2000\\b`))

    // The others are written, in send order, once each.
    const written = outcomes.filter((o) => o.ok).map((o) => (o as { offset: bigint }).offset)
    expect(written).toEqual(Array.from({ length: 29 }, (_, i) => BigInt(i)))
    const read = await readAll(topic, 29)
    expect(read.map((r) => r.key)).toEqual(
      Array.from({ length: 30 }, (_, i) => `k${i}`).filter((k) => k !== 'k17'),
    )
  })
})
