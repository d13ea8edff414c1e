/**
 * One group member of the churn test, run as its own process so the test can end it the way real members
 * end: SIGTERM closes it gracefully (revoke, commit, leave), SIGKILL leaves the group to find out by itself.
 *
 * At-least-once: each poll's records are reported, then committed; revoked partitions are committed in
 * `onPartitionsRevoked`. Everything the parent needs to judge the run is printed as one JSON object a line:
 *   { type: 'records', ids }            records handed to this member, before their commit
 *   { type: 'committed', offsets }      a commit succeeded: [partition, next offset] pairs
 *   { type: 'assigned', partitions }
 *   { type: 'revoked' | 'lost', partitions, committed }  committed: this member's last successful commit of each
 *   { type: 'closed' }
 *   { type: 'commit-slow' | 'diagnostics', ... }  a commit pending for 10 s; the state asked for by SIGUSR2
 *
 * Usage: node churn-member.ts '<json options>' (see MemberOptions).
 */

import type { TopicPartition } from '../../../src/common/types.ts'
import type { GroupProtocol } from '../../../src/consumer/group/group-options.ts'
import { Kafka } from '../../../src/kafka.ts'

export interface MemberOptions {
  bootstrap: string
  topic: string
  group: string
  groupProtocol: GroupProtocol
  /** Records per poll and a pause after each poll: a slow consumer, so churn happens mid-backlog. */
  maxPollRecords: number
  processingDelayMs: number
}

const options = JSON.parse(process.argv[2] ?? '') as MemberOptions
const print = (event: object): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

const consumer = new Kafka({ bootstrap: options.bootstrap, clientId: 'samsa-churn-member' }).consumer({
  groupId: options.group,
  groupProtocol: options.groupProtocol,
  autoOffsetReset: 'earliest',
  enableAutoCommit: false,
  maxPollRecords: options.maxPollRecords,
  // Small fetches per partition keep every partition's backlog draining at a similar pace, so each member
  // that joins still finds records left in the partitions it is given (with 1 MiB fetches one partition is
  // read to the end before the next, and a late member can be handed partitions that are already drained).
  maxPartitionFetchBytes: 16 * 1024,
  ...(options.groupProtocol === 'classic' && {
    assignors: ['cooperative-sticky' as const],
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
  }),
})

const lastCommitted = new Map<number, bigint>()
/** Where the poll loop is, for the diagnostics. */
let phase = 'starting'

async function commit(): Promise<void> {
  // A commit that hangs stalls the member for good; say so, so a stuck run can be told from a slow one.
  const slow = setTimeout(
    () => print({ type: 'commit-slow', group: consumer.groupMetadata(), phase }),
    10_000,
  )
  const committed = await consumer.commit().finally(() => clearTimeout(slow))
  for (const { partition, offset } of committed) lastCommitted.set(partition, offset)
  print({ type: 'committed', offsets: committed.map((tp) => [tp.partition, String(tp.offset)]) })
}

const partitionsOf = (partitions: TopicPartition[]) =>
  partitions.map((tp) => tp.partition).sort((a, b) => a - b)

consumer.subscribe([options.topic], {
  onPartitionsAssigned: (partitions) => print({ type: 'assigned', partitions: partitionsOf(partitions) }),
  async onPartitionsRevoked(partitions) {
    if (partitions.length === 0) return
    await commit().catch((error: unknown) => print({ type: 'commit-failed', message: String(error) }))
    print({
      type: 'revoked',
      partitions: partitionsOf(partitions),
      committed: partitions.map((tp) => [tp.partition, String(lastCommitted.get(tp.partition) ?? 0n)]),
    })
  },
  // Lost (the session expired, or the member's own session clock gave up on a silent coordinator): nothing
  // can be committed any more; the next owner reads from this member's last successful commit.
  onPartitionsLost: (partitions) =>
    print({
      type: 'lost',
      partitions: partitionsOf(partitions),
      committed: partitions.map((tp) => [tp.partition, String(lastCommitted.get(tp.partition) ?? 0n)]),
    }),
})

let running = true
const loop = (async () => {
  while (running) {
    phase = 'polling'
    const messages = await consumer.poll({ timeoutMs: 200 })
    phase = 'processing'
    if (messages.length === 0) continue
    print({ type: 'records', ids: messages.map((m) => `${m.partition}:${m.offset}`) })
    await new Promise((resolve) => setTimeout(resolve, options.processingDelayMs))
    phase = 'committing'
    await commit().catch((error: unknown) => print({ type: 'commit-failed', message: String(error) }))
  }
})().catch((error: unknown) => {
  print({ type: 'failed', message: String(error) })
  process.exit(1)
})

process.once('SIGTERM', () => {
  running = false
  void loop
    .then(() => consumer.close())
    .then(() => {
      print({ type: 'closed' })
      process.exit(0)
    })
})

// Diagnostics on demand: what this member owns and where it stands in each partition.
process.on('SIGUSR2', () => {
  const positions = consumer.assignment().map((tp) => {
    try {
      return [tp.partition, String(consumer.position(tp))]
    } catch (error) {
      return [tp.partition, String(error)]
    }
  })
  print({ type: 'diagnostics', phase, positions, paused: consumer.paused() })
})
