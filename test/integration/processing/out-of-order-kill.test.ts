/**
 * Out of order, a crash: what was completed beyond a gap and reached the commit metadata is never processed
 * again by the next owner; everything else is, so nothing is lost.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { decodeCompletedOffsets } from '../../../src/consumer/offsets/completed-offsets-metadata.ts'
import { Kafka } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { sleep, waitFor } from '../../../src/testing/wait-for.ts'
import { createBacklog, ledgerLines, type MemberProcess, spawnMember } from './member-process.ts'
import type { RunMemberOptions } from './run-member.ts'

const bootstrap = kafkaBootstrap()
const memberScript = fileURLToPath(new URL('./run-member.ts', import.meta.url))
const PARTITIONS = 2
const PER_PARTITION = 400
/** The message of each partition the first member never finishes: the gap (with `'key'`, its key waits too). */
const STUCK_OFFSET = 5

function startMember(options: RunMemberOptions): MemberProcess {
  return spawnMember(memberScript, options)
}

it.each(['none', 'key'] as const)(
  "ordering '%s', SIGKILLed mid-backlog with records completed beyond a stuck one, then restarted: nothing lost, nothing in the commit metadata processed again",
  async (ordering) => {
    const topic = uniqueName(`out-of-order-kill-${ordering}`)
    const groupId = uniqueName('out-of-order-kill')
    const kafka = new Kafka({ bootstrap, clientId: 'out-of-order-kill', logger: false })
    await createBacklog(kafka, topic, PARTITIONS, PER_PARTITION)
    const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }))
    const dir = mkdtempSync(join(tmpdir(), 'samsa-ooo-'))
    const firstLedger = join(dir, 'first')
    const secondLedger = join(dir, 'second')
    const stuck = partitions.map((tp) => `${tp.partition}:${STUCK_OFFSET}`)
    const probe = kafka.consumer({ groupId })

    try {
      const first = startMember({
        bootstrap,
        topic,
        groupId,
        ledger: firstLedger,
        stuck,
        handlerMs: 20,
        ordering,
      })
      // Killed once a good part of the backlog is done and committed beyond the stuck records, not all of it.
      await waitFor(
        'completions beyond the stuck records in the committed metadata of every partition',
        async () => {
          if (ledgerLines(firstLedger).length < (PARTITIONS * PER_PARTITION) / 4) return false
          const committed = await probe.committed(partitions)
          return committed.every(
            (c) => c.offset !== null && decodeCompletedOffsets(c.offset, c.metadata).length > 0,
          )
        },
        60_000,
        20,
      )
      first.child.kill('SIGKILL')
      await first.exited
      const firstRun = ledgerLines(firstLedger)
      expect(firstRun.length).toBeLessThan(PARTITIONS * PER_PARTITION - PARTITIONS)
      if (ordering === 'key') {
        // By key, the stuck record's later messages (same key: offset ≡ 5 mod 8) waited behind it.
        const sameKeyLater = firstRun.filter((id) => {
          const offset = Number(id.split(':')[1])
          return offset > STUCK_OFFSET && offset % 8 === STUCK_OFFSET % 8
        })
        expect(sameKeyLater).toEqual([])
      }
      // Requests the member wrote before it died are handled by now.
      await sleep(1000)

      // What the group holds as done: below each committed offset, and the ranges in its metadata.
      const done = new Set<string>()
      for (const c of await probe.committed(partitions)) {
        const committed = c.offset ?? 0n
        // Stuck at offset 5, the partition's commit cannot pass it.
        expect(committed).toBeLessThanOrEqual(BigInt(STUCK_OFFSET))
        for (let o = 0n; o < committed; o++) done.add(`${c.partition}:${o}`)
        for (const range of decodeCompletedOffsets(committed, c.metadata)) {
          for (let o = range.first; o <= range.last; o++) done.add(`${c.partition}:${o}`)
        }
      }
      // Completed beyond the gap: far more than the stuck records' prefix.
      expect(done.size).toBeGreaterThan(PARTITIONS * STUCK_OFFSET)
      for (const id of done) expect(firstRun).toContain(id)

      const second = startMember({
        bootstrap,
        topic,
        groupId,
        ledger: secondLedger,
        stuck: [],
        handlerMs: 1,
        ordering,
      })
      const all = partitions.flatMap((tp) =>
        Array.from({ length: PER_PARTITION }, (_, o) => `${tp.partition}:${o}`),
      )
      await waitFor(
        'every message processed by one run or the other',
        () => {
          const seen = new Set([...firstRun, ...ledgerLines(secondLedger)])
          return all.every((id) => seen.has(id))
        },
        60_000,
      )
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)

      const secondRun = ledgerLines(secondLedger)
      // Exactly what the group did not hold as done is processed again, each once: the stuck records, what
      // was still queued, and what the first member finished after its last commit.
      expect(new Set(secondRun).size).toBe(secondRun.length)
      expect(secondRun.filter((id) => done.has(id))).toEqual([])
      expect(new Set(secondRun)).toEqual(new Set(all.filter((id) => !done.has(id))))
      for (const id of stuck) expect(secondRun).toContain(id)
      const committedAtEnd = await probe.committed(partitions)
      expect(committedAtEnd.map((c) => c.offset)).toEqual(partitions.map(() => BigInt(PER_PARTITION)))
    } finally {
      await probe.close()
    }
  },
  120_000,
)
