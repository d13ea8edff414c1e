import { afterAll, describe, expect, it } from 'vitest'
import { murmur2Partition } from '../../../src/producer/partitioners/murmur2.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { ProducerRecord } from '../../../src/producer/types.ts'
import { consoleConsumer, getOffsetShell } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

const topics = new TestTopics('producer-interop-test')
const { cluster } = topics

afterAll(() => topics.close())

describe('what the Java tools see of samsa-produced records', () => {
  it('100,000 keyed records land exactly where the Java partitioner puts them', async () => {
    const topic = await topics.create('producer-interop-keys', 6)
    const total = 100_000
    const producer = new Producer(cluster)
    const records: ProducerRecord[] = Array.from({ length: total }, (_, i) => ({
      topic,
      key: `key-${i}`,
      value: `value-${i}`,
    }))
    const results = await producer.sendBatch(records)
    await producer.close()

    const expectedCounts = new Map<number, bigint>()
    for (let i = 0; i < total; i++) {
      const expected = murmur2Partition(Buffer.from(`key-${i}`), 6)
      expect(results[i]!.partition).toBe(expected)
      expectedCounts.set(expected, (expectedCounts.get(expected) ?? 0n) + 1n)
    }
    const ends = await getOffsetShell({ bootstrap: kafkaBootstrap(), topic })
    expect(new Map([...ends].sort())).toEqual(new Map([...expectedCounts].sort()))

    const consumed = await consoleConsumer({ bootstrap: kafkaBootstrap(), topic, maxMessages: total })
    expect(consumed).toHaveLength(total)
    const seen = new Set<string>()
    for (const record of consumed) {
      const key = record.key!
      expect(record.partition).toBe(murmur2Partition(Buffer.from(key), 6))
      expect(record.value).toBe(`value-${key.slice('key-'.length)}`)
      seen.add(key)
    }
    expect(seen.size).toBe(total)
  }, 180_000)

  it('headers, null keys and null values round-trip; null-key records stick to one partition per batch', async () => {
    const topic = await topics.create('producer-interop-headers', 4)
    const producer = new Producer(cluster, { lingerMs: 1000 })
    const sent = await producer.sendBatch([
      {
        topic,
        key: 'k',
        value: 'with headers',
        headers: [
          { key: 'trace-id', value: Buffer.from('abc123') },
          { key: 'trace-id', value: Buffer.from('repeated') },
          { key: 'empty', value: null },
        ],
      },
      { topic, key: 'k', value: null, headers: { source: 'samsa', kind: Buffer.from('tombstone') } },
      ...Array.from({ length: 50 }, (_, i) => ({ topic, value: `sticky-${i}` })),
    ])
    await producer.close()
    // Fifty small records without a key fit in one batch, so they all went to one partition.
    const stickyPartitions = new Set(sent.slice(2).map((m) => m.partition))
    expect(stickyPartitions.size).toBe(1)

    const consumed = await consoleConsumer({ bootstrap: kafkaBootstrap(), topic, maxMessages: 52 })
    expect(consumed).toHaveLength(52)
    const withHeaders = consumed.find((r) => r.value === 'with headers')!
    expect(withHeaders.key).toBe('k')
    expect(withHeaders.headers).toEqual([
      { key: 'trace-id', value: 'abc123' },
      { key: 'trace-id', value: 'repeated' },
      { key: 'empty', value: null },
    ])
    const tombstone = consumed.find((r) => r.key === 'k' && r.value === null)!
    expect(tombstone.headers).toEqual([
      { key: 'source', value: 'samsa' },
      { key: 'kind', value: 'tombstone' },
    ])
    const sticky = consumed.filter((r) => r.value?.startsWith('sticky-'))
    expect(sticky).toHaveLength(50)
    expect(new Set(sticky.map((r) => r.partition))).toEqual(stickyPartitions)
    expect(sticky.every((r) => r.key === null)).toBe(true)
    // In order within the partition.
    expect(sticky.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => `sticky-${i}`))
  })

  it('batches compressed with every codec are read back by the Java consumer', async () => {
    const topic = await topics.create('producer-interop-codecs', 1)
    const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const
    for (const compression of codecs) {
      const producer = new Producer(cluster, { compression })
      await producer.sendBatch(
        Array.from({ length: 200 }, (_, i) => ({
          topic,
          key: `${compression}-${i}`,
          value: 'x'.repeat(200),
        })),
      )
      await producer.close()
    }
    const consumed = await consoleConsumer({ bootstrap: kafkaBootstrap(), topic, maxMessages: 800 })
    expect(consumed.map((r) => r.key)).toEqual(
      codecs.flatMap((codec) => Array.from({ length: 200 }, (_, i) => `${codec}-${i}`)),
    )
    expect(consumed.every((r) => r.value === 'x'.repeat(200))).toBe(true)
  })
})
