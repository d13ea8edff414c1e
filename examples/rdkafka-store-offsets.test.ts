import { describe, expect, it } from 'vitest'
import { Kafka } from '../src/kafka.ts'
import { bootstrapAddress, topicWithRecords, uniqueName } from './example-support.ts'
import { consumeTransformProduce } from './rdkafka-store-offsets.ts'

describe('rust-rdkafka: store offsets only after successful processing', () => {
  it('a failed record is not committed; the restart re-reads it and nothing is lost', async () => {
    const input = uniqueName('rd-in')
    const output = uniqueName('rd-out')
    const groupId = uniqueName('rd-group')
    const count = 30
    // One partition, so "everything after the failed record" is well defined.
    await topicWithRecords(input, 1, count)
    const admin = new Kafka({ bootstrap: [bootstrapAddress()] }).admin()
    await admin.createTopics([{ topic: output, partitions: 1, replicationFactor: 1 }])
    await admin.close()

    const first = await consumeTransformProduce({
      input,
      output,
      groupId,
      expected: count,
      failOn: new Set(['record-12']),
      autoCommitIntervalMs: 100,
    })
    expect(first).toEqual(Array.from({ length: 12 }, (_, i) => `record-${i}`))

    const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
      groupId,
      enableAutoCommit: false,
    })
    // Exactly up to the failed record: its offset (12) is the next to read.
    expect((await consumer.committed([{ topic: input, partition: 0 }]))[0]?.offset).toBe(12n)
    await consumer.close()

    const second = await consumeTransformProduce({
      input,
      output,
      groupId,
      expected: count - 12,
      autoCommitIntervalMs: 100,
    })
    expect(second[0]).toBe('record-12')
    expect([...first, ...second]).toEqual(Array.from({ length: count }, (_, i) => `record-${i}`))
  })
})
