/**
 * A run() member with `ack: 'after-success'` and the given ordering, as its own process so a test can SIGKILL
 * it (out of order, with records completed beyond a gap) or stop it with SIGTERM (`handleSignals`). Each
 * handled message appends `partition:offset` to this run's ledger (a synchronous write, on disk before the
 * handler returns and the message is marked); the messages listed in `stuck` never finish, so everything
 * completed after them can only survive a crash in the commit metadata.
 *
 * Usage: node run-member.ts '<json options>' (see RunMemberOptions).
 */

import { closeSync, openSync, writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka } from '../../../src/index.ts'

export interface RunMemberOptions {
  bootstrap: string
  topic: string
  groupId: string
  ledger: string
  /** `partition:offset` of messages whose handler never returns. */
  stuck: string[]
  /** Time each handler takes, so a kill lands mid-backlog. */
  handlerMs: number
  ordering: 'partition' | 'key' | 'none'
}

const options = JSON.parse(process.argv[2] ?? '') as RunMemberOptions
const stuck = new Set(options.stuck)
const ledger = openSync(options.ledger, 'a')
const consumer = new Kafka({
  bootstrap: options.bootstrap,
  clientId: 'run-member',
  logger: false,
}).consumer({
  groupId: options.groupId,
  enableAutoCommit: false,
  autoOffsetReset: 'earliest',
  // The killed member's partitions move after this long.
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 1000,
})
const handle = await consumer.run({
  topics: [options.topic],
  ordering: options.ordering,
  ack: 'after-success',
  maxInFlightPerPartition: 4,
  commit: { everyMs: 200 },
  handleSignals: true,
  eachMessage: async ({ message, signal }) => {
    const id = `${message.partition}:${message.offset}`
    if (stuck.has(id)) {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    }
    await sleep(options.handlerMs)
    writeSync(ledger, `${id}\n`)
  },
})
process.stdout.write('ready\n')
try {
  await handle.done
} finally {
  closeSync(ledger)
}
