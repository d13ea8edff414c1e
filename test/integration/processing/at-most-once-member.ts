/**
 * A run() member with `ack: 'before-processing'`, as its own process so the test can SIGKILL it mid-batch.
 * Each handled message appends `partition:offset` to a ledger file (a synchronous write: it is on disk before
 * the handler goes on), then takes a few milliseconds, so a kill lands while messages are in flight.
 *
 * Usage: node at-most-once-member.ts '<json options>' (see AtMostOnceMemberOptions).
 */

import { closeSync, openSync, writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka } from '../../../src/index.ts'

export interface AtMostOnceMemberOptions {
  bootstrap: string
  topic: string
  groupId: string
  ledger: string
  ordering: 'partition' | 'none'
}

const options = JSON.parse(process.argv[2] ?? '') as AtMostOnceMemberOptions
const ledger = openSync(options.ledger, 'a')
const consumer = new Kafka({
  bootstrap: options.bootstrap,
  clientId: 'at-most-once',
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
  ack: 'before-processing',
  partitionsConcurrency: 2,
  ordering: options.ordering,
  maxInFlightPerPartition: 4,
  // The cadence alone would commit long after the kill: only the commit before each handler can protect.
  commit: { everyMs: 60_000 },
  handleSignals: true,
  eachMessage: async ({ message }) => {
    writeSync(ledger, `${message.partition}:${message.offset}\n`)
    await sleep(5)
  },
})
process.stdout.write('ready\n')
try {
  await handle.done
} finally {
  closeSync(ledger)
}
