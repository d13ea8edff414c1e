import { describe, expect, it } from 'vitest'
import type { IsolationLevel } from '../src/consumer/consumer-options.ts'
import { Kafka } from '../src/kafka.ts'
import { runExactlyOnce } from './exactly-once-transactions.ts'
import { bootstrapAddress, topicWithRecords, uniqueName } from './example-support.ts'

async function outputValues(
  topic: string,
  partitions: number,
  isolationLevel: IsolationLevel,
  atLeast: number,
) {
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
    isolationLevel,
    autoOffsetReset: 'earliest',
  })
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
  const values: string[] = []
  const deadline = Date.now() + 20_000
  try {
    while (values.length < atLeast && Date.now() < deadline) {
      for (const message of await consumer.poll({ timeoutMs: 500 })) values.push(message.value!.toString())
    }
    for (const message of await consumer.poll({ timeoutMs: 1000 })) values.push(message.value!.toString())
  } finally {
    await consumer.close()
  }
  return values
}

describe('exactly-once consume-transform-produce with transactions', () => {
  it('a worker crashing mid-transaction and restarting yields each result exactly once', async () => {
    const input = uniqueName('eos-in')
    const output = uniqueName('eos-out')
    const groupId = uniqueName('eos-group')
    const transactionalId = `${groupId}-worker`
    const count = 40
    await topicWithRecords(input, 3, count)
    const admin = new Kafka({ bootstrap: [bootstrapAddress()] }).admin()
    await admin.createTopics([{ topic: output, partitions: 2, replicationFactor: 1 }])
    await admin.close()

    const first = await runExactlyOnce({
      input,
      output,
      groupId,
      transactionalId,
      expected: count,
      crashAfter: 10,
    })
    expect(first.length).toBeGreaterThanOrEqual(10)
    expect(first.length).toBeLessThan(count)

    const second = await runExactlyOnce({
      input,
      output,
      groupId,
      transactionalId,
      expected: count - first.length,
    })
    const inputs = Array.from({ length: count }, (_, i) => `record-${i}`)
    // Together the two runs committed every input once: the restart resumed from the transaction's offsets.
    expect([...first, ...second].sort()).toEqual([...inputs].sort())

    const expected = inputs.map((value) => `result-of-${value}`).sort()
    expect((await outputValues(output, 2, 'read_committed', count)).sort()).toEqual(expected)
    // The crashed transaction's results are in the log too, aborted: read_uncommitted sees them twice.
    const uncommitted = await outputValues(output, 2, 'read_uncommitted', count + 1)
    expect(uncommitted.length).toBeGreaterThan(count)
    expect(new Set(uncommitted)).toEqual(new Set(expected))

    const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
      groupId,
      enableAutoCommit: false,
    })
    const committed = await consumer.committed([0, 1, 2].map((partition) => ({ topic: input, partition })))
    await consumer.close()
    const offsets = committed.map((tp) => tp.offset)
    expect(offsets).not.toContain(null)
    expect(offsets.reduce((sum: bigint, offset) => sum + (offset ?? 0n), 0n)).toBe(BigInt(count))
  })
})
