/**
 * One billing member of the demo's group, run as its own process so the demo can kill it for real.
 *
 * At-least-once with `run()`: a batch of orders is "billed" (a line per order in this member's ledger, a file
 * the demo reads independently of Kafka), and only once the handler has returned are its offsets eligible for
 * the commit that `run()` sends every second. A SIGKILL in the middle of a batch therefore leaves ledger lines
 * whose offsets were never committed: those orders are billed again by the member that takes the partition
 * over, and nothing else is. SIGTERM stops the member gracefully (drain, commit, leave).
 *
 * Usage: node demo-member.ts '<json options>' (see DemoMemberOptions).
 */

import { closeSync, openSync, writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka } from '../src/index.ts'

export interface DemoMemberOptions {
  bootstrap: string
  topic: string
  groupId: string
  name: string
  ledger: string
  /** Simulated billing time per order, so the crash happens while work is in flight. */
  microsPerOrder: number
}

const options = JSON.parse(process.argv[2] ?? '') as DemoMemberOptions
const ledger = openSync(options.ledger, 'a')

const consumer = new Kafka({ bootstrap: options.bootstrap, clientId: options.name, logger: false }).consumer({
  groupId: options.groupId,
  enableAutoCommit: false,
  autoOffsetReset: 'earliest',
  // A dead member's partitions move after this long; short, so the demo shows the recovery quickly.
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 1000,
  maxPollRecords: 200,
})

const handle = await consumer.run({
  topics: [options.topic],
  ack: 'after-success',
  commit: { everyMs: 1000 },
  handleSignals: true,
  eachBatch: async ({ batch }) => {
    // Billing takes time: a kill lands in the middle of a batch, with part of it billed and none committed.
    for (const [i, message] of batch.messages.entries()) {
      // Where the order came from, and which order it is (its key, as the producer wrote it): the tally
      // checks the order ids, so it does not depend on offsets being handed out right.
      writeSync(ledger, `${message.partition}:${message.offset} ${message.key?.toString()}\n`)
      if (i % 20 === 19) await sleep((20 * options.microsPerOrder) / 1000)
    }
  },
})
process.stdout.write('ready\n')
try {
  await handle.done
} finally {
  closeSync(ledger)
}
