/**
 * An at-least-once `run()` member, in a process of its own, that keeps a durable ledger of what it processed:
 * each record's `partition:offset` is appended and fsynced inside the handler, before the handler returns,
 * so a line in the ledger means "processed" and its offset can only be committed after it is there. The
 * synchronous fsync is the point: it is the kind of handler that used to starve the event loop. The test kills
 * this process with SIGKILL at random points, or stops it with SIGTERM (run() then drains and commits).
 *
 * Usage: node ledger-member.ts '<json options>' (see LedgerMemberOptions).
 */

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { Kafka } from '../../../src/kafka.ts'

export interface LedgerMemberOptions {
  bootstrap: string
  topic: string
  group: string
  ledger: string
  commitEveryMs: number
}

const options = JSON.parse(process.argv[2] ?? '') as LedgerMemberOptions
const ledger = openSync(options.ledger, 'a')

const consumer = new Kafka({ bootstrap: options.bootstrap, clientId: 'samsa-ledger-member' }).consumer({
  groupId: options.group,
  autoOffsetReset: 'earliest',
  enableAutoCommit: false,
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 1000,
})

const handle = await consumer.run({
  topics: [options.topic],
  ack: 'after-success',
  commit: { everyMs: options.commitEveryMs },
  handleSignals: true,
  eachMessage: async ({ message }) => {
    writeSync(ledger, `${message.partition}:${message.offset}\n`)
    fsyncSync(ledger)
  },
})
process.stdout.write('running\n')
try {
  await handle.done
  process.stdout.write('stopped\n')
} catch (error) {
  process.stdout.write(`failed ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
} finally {
  closeSync(ledger)
}
