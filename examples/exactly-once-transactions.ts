/**
 * Exactly-once consume-transform-produce with Kafka transactions (the Dekaf / "Kafka: The Definitive Guide"
 * pattern), as one option of `run()`: `transactional: { producer }`. Each input's result and the input's
 * offset (sent with the consumer's group metadata, KIP-447) commit in one transaction, so readers with
 * `isolationLevel: 'read_committed'` see every result exactly once, whatever crashes in between: a crash
 * leaves an open transaction that is aborted, and the input is processed again from the committed offset.
 *
 * A restarted worker keeps its `transactionalId` (its initialisation fences the crashed instance and aborts
 * what it left open) and its `groupInstanceId` (static membership: it takes the crashed member's place in the
 * group at once instead of waiting for the session timeout).
 *
 *   node examples/exactly-once-transactions.ts <input-topic> <output-topic> <group> [--crash-after N]
 *
 * runs until SIGTERM or Ctrl-C. `--crash-after N` stands for a crash at the worst moment: the process
 * SIGKILLs itself after the result of its (N+1)-th input is in the log, before its transaction commits.
 */

import { fileURLToPath } from 'node:url'
import { Kafka } from '../src/kafka.ts'
import type { RunHandle } from '../src/processing/runner.ts'
import type { Producer } from '../src/producer/producer.ts'
import { bootstrapAddress } from './example-support.ts'

export interface Worker {
  input: string
  output: string
  groupId: string
  /** Stable across restarts of this worker: it is what fences a crashed predecessor. */
  transactionalId: string
  /** Called after each result was sent, inside the transaction still open, with the count so far. */
  afterSend?: (sent: number) => void
}

/** Starts the worker; stop it with the handle (or SIGTERM: it stops gracefully). */
export async function startExactlyOnce(worker: Worker): Promise<{ handle: RunHandle; producer: Producer }> {
  const kafka = new Kafka({ bootstrap: [bootstrapAddress()], logger: false })
  const consumer = kafka.consumer({
    groupId: worker.groupId,
    groupInstanceId: `${worker.transactionalId}-member`,
    autoOffsetReset: 'earliest',
    // Offsets are committed by the producer's transaction, never by the consumer itself.
    enableAutoCommit: false,
    // Inputs written transactionally upstream are read only once committed.
    isolationLevel: 'read_committed',
  })
  const producer = kafka.producer({ transactionalId: worker.transactionalId })
  let sent = 0
  const handle = await consumer.run({
    topics: [worker.input],
    transactional: { producer },
    handleSignals: true,
    eachMessage: async ({ message, transaction }) => {
      // The handler's `transaction` is the producer inside the unit's open transaction.
      await (transaction as Producer).send({
        topic: worker.output,
        key: message.key,
        value: `result-of-${message.value?.toString() ?? ''}`,
      })
      worker.afterSend?.(++sent)
    },
  })
  return { handle, producer }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, groupId, flag, count] = process.argv.slice(2)
  if (input === undefined || output === undefined || groupId === undefined) {
    console.error(
      'usage: exactly-once-transactions.ts <input-topic> <output-topic> <group> [--crash-after N]',
    )
    process.exit(2)
  }
  const crashAfter = flag === '--crash-after' ? Number(count) : undefined
  const { handle, producer } = await startExactlyOnce({
    input,
    output,
    groupId,
    transactionalId: `${groupId}-worker`,
    afterSend: (sent) => {
      if (crashAfter !== undefined && sent > crashAfter) process.kill(process.pid, 'SIGKILL')
    },
  })
  await handle.done
  await producer.close()
  console.log('stopped')
}
