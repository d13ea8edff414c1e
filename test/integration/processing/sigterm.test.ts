/**
 * SIGTERM to a process whose run() has `handleSignals`: the handlers in progress finish, what they finished
 * is committed, the member leaves and the process exits 0; the next member starts exactly where it stopped.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import { createBacklog, ledgerLines, type MemberProcess, spawnMember } from './member-process.ts'
import type { RunMemberOptions } from './run-member.ts'

const bootstrap = kafkaBootstrap()
const memberScript = fileURLToPath(new URL('./run-member.ts', import.meta.url))
const PARTITIONS = 2
const PER_PARTITION = 300

function startMember(options: RunMemberOptions): MemberProcess {
  return spawnMember(memberScript, options)
}

it.each(['partition', 'none'] as const)(
  "ordering '%s': a member SIGTERMed mid-backlog drains, commits what it finished and exits 0; its successor processes exactly the rest",
  async (ordering) => {
    const topic = uniqueName(`sigterm-${ordering}`)
    const groupId = uniqueName(`sigterm-${ordering}`)
    const kafka = new Kafka({ bootstrap, clientId: 'sigterm', logger: false })
    await createBacklog(kafka, topic, PARTITIONS, PER_PARTITION)
    const dir = mkdtempSync(join(tmpdir(), 'samsa-sigterm-'))
    const firstLedger = join(dir, 'first')
    const secondLedger = join(dir, 'second')
    const common = { bootstrap, topic, groupId, stuck: [], ordering }

    // Slow handlers, so the signal lands while some are in progress and most of the backlog is left.
    const first = startMember({ ...common, ledger: firstLedger, handlerMs: 30 })
    await waitFor('the first member under way', () => ledgerLines(firstLedger).length >= 40, 60_000, 20)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    const firstRun = ledgerLines(firstLedger)
    expect(firstRun.length).toBeLessThan(PARTITIONS * PER_PARTITION)

    // The group joins at once: the first member left instead of timing out.
    const second = startMember({ ...common, ledger: secondLedger, handlerMs: 0 })
    const all = Array.from(
      { length: PARTITIONS * PER_PARTITION },
      (_, i) => `${i % PARTITIONS}:${Math.floor(i / PARTITIONS)}`,
    )
    await waitFor(
      'every message processed by one member or the other',
      () => {
        const seen = new Set([...firstRun, ...ledgerLines(secondLedger)])
        return all.every((id) => seen.has(id))
      },
      60_000,
    )
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    const secondRun = ledgerLines(secondLedger)
    // Nothing the first member finished is done again, nothing is missed, nothing is done twice.
    expect(secondRun.filter((id) => firstRun.includes(id))).toEqual([])
    expect(new Set(firstRun).size).toBe(firstRun.length)
    expect(new Set(secondRun).size).toBe(secondRun.length)
    expect(firstRun.length + secondRun.length).toBe(all.length)
  },
  120_000,
)
