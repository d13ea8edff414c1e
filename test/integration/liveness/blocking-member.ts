/**
 * A group member, in a process of its own, whose main thread the test blocks outright (Atomics.wait: no
 * timer, no socket, no microtask runs), the way a synchronous handler or a long computation blocks it. One
 * JSON object a line on stdout:
 *   { type: 'assigned' | 'revoked' | 'lost', partitions }   the rebalance listener's calls
 *   { type: 'ready', memberId }      it owns partitions and has read from them
 *   { type: 'block-start' } / { type: 'block-end' }
 *   { type: 'commit', ok, error? }   a commit of everything read, after the block and a few polls
 *   { type: 'closed' }
 *
 * Usage: node blocking-member.ts '<json options>' (see BlockingMemberOptions).
 */

import type { TopicPartition } from '../../../src/common/types.ts'
import type { GroupProtocol } from '../../../src/consumer/group/group-options.ts'
import { Kafka } from '../../../src/kafka.ts'

export interface BlockingMemberOptions {
  bootstrap: string
  topic: string
  group: string
  groupProtocol: GroupProtocol
  /** Classic only. */
  sessionTimeoutMs?: number
  maxPollIntervalMs: number
  blockMs: number
  backgroundHeartbeat: boolean
}

const options = JSON.parse(process.argv[2] ?? '') as BlockingMemberOptions
const print = (event: object): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}
const render = (partitions: TopicPartition[]) => partitions.map((tp) => tp.partition).sort()

const consumer = new Kafka({ bootstrap: options.bootstrap, clientId: 'samsa-blocking-member' }).consumer({
  groupId: options.group,
  groupProtocol: options.groupProtocol,
  autoOffsetReset: 'earliest',
  enableAutoCommit: false,
  maxPollIntervalMs: options.maxPollIntervalMs,
  backgroundHeartbeat: options.backgroundHeartbeat,
  ...(options.sessionTimeoutMs !== undefined && {
    sessionTimeoutMs: options.sessionTimeoutMs,
    heartbeatIntervalMs: Math.floor(options.sessionTimeoutMs / 3),
  }),
})

consumer.subscribe([options.topic], {
  onPartitionsAssigned: (partitions) => print({ type: 'assigned', partitions: render(partitions) }),
  onPartitionsRevoked: (partitions) => print({ type: 'revoked', partitions: render(partitions) }),
  onPartitionsLost: (partitions) => print({ type: 'lost', partitions: render(partitions) }),
})

const deadline = Date.now() + 60_000
let read = 0
while (Date.now() < deadline && (consumer.assignment().length === 0 || read === 0)) {
  read += (await consumer.poll({ timeoutMs: 200 })).length
}
print({ type: 'ready', memberId: consumer.groupMetadata().memberId })

print({ type: 'block-start' })
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, options.blockMs)
print({ type: 'block-end' })

// A few polls let the membership act on what happened meanwhile (answers, a poll timeout, a rebalance).
const settle = Date.now() + 4000
while (Date.now() < settle) await consumer.poll({ timeoutMs: 200 })
try {
  await consumer.commit()
  print({ type: 'commit', ok: true })
} catch (error) {
  print({ type: 'commit', ok: false, error: error instanceof Error ? error.name : String(error) })
}
await consumer.close().catch(() => {})
print({ type: 'closed' })
