import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { GroupProtocol } from '../../../src/consumer/group/group-options.ts'
import { Kafka } from '../../../src/kafka.ts'
import { createTopicWithJava } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import type { MemberOptions } from './churn-member.ts'
import {
  duplicates,
  missing,
  parseRecordId,
  produceKeyed,
  type RecordId,
  sleep,
  waitUntil,
} from './integrity-kit.ts'

const PARTITIONS = 6
const RECORDS = 36_000
const memberScript = fileURLToPath(new URL('./churn-member.ts', import.meta.url))

/** Something that happened to a member, in the order the test heard of it. */
type MemberEvent =
  | { member: string; type: 'assigned'; partitions: number[] }
  | { member: string; type: 'revoked' | 'lost'; partitions: number[]; committed: [number, string][] }

/**
 * The moment a partition left a member: from then on another member reads it from `committed`, so records
 * of the old owner in [committed, seenUpTo) are the ones that may legitimately be read twice.
 */
interface Handover {
  member: string
  partition: number
  committed: bigint
  seenUpTo: bigint
  how: 'revoked' | 'lost' | 'killed'
}

class ChurnMember {
  readonly seen: RecordId[] = []
  /** Next offset after the highest this member was handed, per partition. */
  readonly seenUpTo = new Map<number, bigint>()
  readonly owned = new Set<number>()
  readonly failures: string[] = []
  /** Commits that had not settled after 10 s (reported by the member while they hang). */
  readonly stalls: string[] = []
  private readonly child: ChildProcess
  private readonly exited: Promise<void>

  readonly name: string

  constructor(name: string, options: MemberOptions, onEvent: (event: MemberEvent) => void) {
    this.name = name
    this.child = spawn(process.execPath, [memberScript, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()))
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { type: string } & Record<string, unknown>
      switch (event.type) {
        case 'records':
          for (const id of event.ids as RecordId[]) {
            this.seen.push(id)
            const { partition, offset } = parseRecordId(id)
            if (offset + 1n > (this.seenUpTo.get(partition) ?? 0n)) this.seenUpTo.set(partition, offset + 1n)
          }
          break
        case 'assigned':
          for (const p of event.partitions as number[]) this.owned.add(p)
          onEvent({ member: name, type: 'assigned', partitions: event.partitions as number[] })
          break
        case 'revoked':
        case 'lost':
          for (const p of event.partitions as number[]) this.owned.delete(p)
          onEvent({ member: name, ...event } as MemberEvent)
          break
        case 'commit-slow':
          this.stalls.push(line)
          console.error(`${name} commit pending for 10 s`, line)
          break
        case 'diagnostics':
          console.error(`${name} diagnostics`, line)
          break
        case 'commit-failed':
        case 'failed':
          this.failures.push(String(event.message))
          break
      }
    })
  }

  /** Graceful: the member stops polling, revokes (committing), leaves the group and exits. */
  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM')
    await this.exited
  }

  /** A crash: no revoke, no commit, no LeaveGroup. The coordinator finds out when the session expires. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL')
    await this.exited
  }

  diagnose(): void {
    this.child.kill('SIGUSR2')
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }
}

/** The group's committed offset of every partition (0 where none), read by a consumer outside the group. */
async function committedOffsets(
  bootstrap: string,
  topic: string,
  group: string,
): Promise<Map<number, bigint>> {
  const reader = new Kafka({ bootstrap }).consumer({ groupId: group, enableAutoCommit: false })
  try {
    const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }))
    const answers = await reader.committed(partitions)
    return new Map(answers.map((answer) => [answer.partition, answer.offset ?? 0n]))
  } finally {
    await reader.close()
  }
}

describe('three samsa members joining and leaving mid-backlog (at-least-once commits)', () => {
  const members: ChurnMember[] = []
  afterEach(async () => {
    await Promise.all(members.map((member) => member.kill()))
    members.length = 0
  })

  for (const groupProtocol of ['classic', 'consumer'] as GroupProtocol[]) {
    const label = groupProtocol === 'classic' ? 'classic, cooperative-sticky' : 'consumer (KIP-848)'
    it(`${label}: nothing is lost, every duplicate was in flight at a handover, and only moving partitions are revoked`, async () => {
      const bootstrap = kafkaBootstrap()
      const topic = uniqueName(`integrity-churn-${groupProtocol}`)
      const group = uniqueName(`g-integrity-churn-${groupProtocol}`)
      await createTopicWithJava({ bootstrap, topic, partitions: PARTITIONS })
      const produced = await produceKeyed(bootstrap, topic, RECORDS)

      const events: MemberEvent[] = []
      const handovers: Handover[] = []
      const onEvent = (event: MemberEvent) => {
        events.push(event)
        // A partition lost with the membership (on a loaded machine a member's session can lapse) is a
        // handover too: its next owner reads from this member's last successful commit.
        if (event.type === 'assigned') return
        const member = members.find((m) => m.name === event.member)!
        for (const [partition, committed] of event.committed) {
          handovers.push({
            member: event.member,
            partition,
            committed: BigInt(committed),
            seenUpTo: member.seenUpTo.get(partition) ?? 0n,
            how: event.type,
          })
        }
      }
      const start = (name: string) => {
        const member = new ChurnMember(
          name,
          { bootstrap, topic, group, groupProtocol, maxPollRecords: 50, processingDelayMs: 40 },
          onEvent,
        )
        members.push(member)
        return member
      }
      const seenByAll = () => members.reduce((sum, m) => sum + m.seen.length, 0)
      const working = (member: ChurnMember, records: number) => () =>
        member.owned.size > 0 && member.seen.length >= records

      const a = start('A')
      await waitUntil('A to consume', working(a, 3000), 60_000)
      const b = start('B')
      await waitUntil('B to get partitions and consume', working(b, 1500), 90_000)
      const c = start('C')
      await waitUntil('C to get partitions and consume', working(c, 1500), 90_000)

      await b.stop()
      const cBefore = c.seen.length
      await waitUntil('C to keep consuming after B left', working(c, cBefore + 1500), 90_000)

      const killedOwned = [...c.owned]
      await c.kill()
      // A commit C had on the wire may still land; read what the group holds once C is gone.
      await sleep(500)
      const committedAtKill = await committedOffsets(bootstrap, topic, group)
      for (const partition of killedOwned) {
        handovers.push({
          member: 'C',
          partition,
          committed: committedAtKill.get(partition) ?? 0n,
          seenUpTo: c.seenUpTo.get(partition) ?? 0n,
          how: 'killed',
        })
      }
      const seenAtKill = seenByAll()

      const views = () => members.map((m) => m.seen)
      await waitUntil(
        'the survivors to consume every record',
        () => missing(produced, ...views()).length === 0,
        Number(process.env.CHURN_WAIT ?? 180_000),
      ).catch((error: unknown) => {
        const gaps = new Map<number, number>()
        for (const id of missing(produced, ...views())) {
          const { partition } = parseRecordId(id)
          gaps.set(partition, (gaps.get(partition) ?? 0) + 1)
        }
        a.diagnose()
        console.error('missing per partition', gaps, 'A owns', [...a.owned], 'events', JSON.stringify(events))
        return sleep(1000).then(() => {
          const stalls = members.flatMap((m) => m.stalls.map((stall) => `${m.name}: ${stall}`))
          throw new Error(`${String(error)}; stalled commits: ${stalls.join(' | ') || 'none'}`)
        })
      })
      await sleep(1000)
      const eventsBeforeShutdown = events.length
      await a.stop()

      // Nothing lost.
      expect(missing(produced, ...views())).toEqual([])
      // The kill happened mid-backlog, and the survivors took over C's partitions.
      expect(killedOwned.length).toBeGreaterThan(0)
      expect(seenByAll()).toBeGreaterThan(seenAtKill)
      // Every duplicate is a record its previous owner was handed but had not committed when it let go.
      const repeated = duplicates(...views())
      const unexplained = [...repeated.keys()].filter((id) => {
        const { partition, offset } = parseRecordId(id)
        return !handovers.some(
          (h) => h.partition === partition && h.committed <= offset && offset < h.seenUpTo,
        )
      })
      expect(unexplained).toEqual([])
      console.log(
        `${label}: ${repeated.size} duplicated records; handovers:`,
        handovers
          .map((h) => `${h.member}/${h.how} p${h.partition} [${h.committed}, ${h.seenUpTo})`)
          .join(' '),
      )

      // Incremental rebalancing: a partition is only revoked from a member to go to another one, so a member
      // never gets back (next) a partition it was made to give up. Up to A's final close, which revokes for good.
      const churn = events.slice(0, eventsBeforeShutdown)
      churn.forEach((event, i) => {
        if (event.type !== 'revoked') return
        for (const partition of event.partitions) {
          const next = churn
            .slice(i + 1)
            .find((e) => e.type === 'assigned' && e.partitions.includes(partition))
          if (next !== undefined)
            expect(`p${partition} next to ${next.member}`).not.toBe(`p${partition} next to ${event.member}`)
        }
      })
      // Every member alive at the time saw revocations only of partitions that moved: B and C joined, so A gave some up.
      expect(churn.some((e) => e.member === 'A' && e.type === 'revoked')).toBe(true)
      expect(
        members.flatMap((m) => m.failures.filter((f) => !/CommitFailed|RebalanceInProgress/.test(f))),
      ).toEqual([])
    }, 420_000)
  }
})
