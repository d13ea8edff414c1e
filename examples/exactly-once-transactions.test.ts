import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { IsolationLevel } from '../src/consumer/consumer-options.ts'
import { Kafka } from '../src/kafka.ts'
import { startExactlyOnce } from './exactly-once-transactions.ts'
import { bootstrapAddress, topicWithRecords, uniqueName } from './example-support.ts'

const script = fileURLToPath(new URL('./exactly-once-transactions.ts', import.meta.url))

async function outputValues(
  topic: string,
  partitions: number,
  isolationLevel: IsolationLevel,
  atLeast: number,
) {
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()], logger: false }).consumer({
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

/** Runs the example as a process of its own; resolves with the signal that ended it (null for an exit). */
function runScript(args: string[]): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
  return new Promise((resolve) => child.once('close', (_code, signal) => resolve(signal)))
}

describe('exactly-once consume-transform-produce with run({ transactional })', () => {
  it('a worker killed mid-transaction and a restart yield each result exactly once', async () => {
    const input = uniqueName('eos-in')
    const output = uniqueName('eos-out')
    const groupId = uniqueName('eos-group')
    const count = 40
    await topicWithRecords(input, 3, count)
    const kafka = new Kafka({ bootstrap: [bootstrapAddress()], logger: false })
    const admin = kafka.admin()
    await admin.createTopics([{ topic: output, partitions: 2, replicationFactor: 1 }])
    await admin.close()

    // The first worker SIGKILLs itself with its 11th result in the log and its transaction open.
    expect(await runScript([input, output, groupId, '--crash-after', '10'])).toBe('SIGKILL')
    const first = await outputValues(output, 2, 'read_committed', 10)
    expect(new Set(first).size).toBe(10)
    expect(first).toHaveLength(10)

    // The restart (same transactionalId and instance id) aborts what the crash left open and goes on.
    const { handle, producer } = await startExactlyOnce({
      input,
      output,
      groupId,
      transactionalId: `${groupId}-worker`,
    })
    const inputs = Array.from({ length: count }, (_, i) => `record-${i}`)
    const expected = inputs.map((value) => `result-of-${value}`).sort()
    let committed: string[]
    try {
      committed = await outputValues(output, 2, 'read_committed', count)
    } finally {
      await handle.stop()
      await producer.close()
    }
    expect(committed.sort()).toEqual(expected)
    // The crashed transaction's result is in the log too, aborted: read_uncommitted sees one input twice.
    const uncommitted = await outputValues(output, 2, 'read_uncommitted', count + 1)
    expect(uncommitted.length).toBeGreaterThan(count)
    expect(new Set(uncommitted)).toEqual(new Set(expected))

    const consumer = kafka.consumer({ groupId, enableAutoCommit: false })
    const offsets = await consumer.committed([0, 1, 2].map((partition) => ({ topic: input, partition })))
    await consumer.close()
    expect(offsets.map((tp) => tp.offset)).not.toContain(null)
    expect(offsets.reduce((sum: bigint, tp) => sum + (tp.offset ?? 0n), 0n)).toBe(BigInt(count))
  })
})
