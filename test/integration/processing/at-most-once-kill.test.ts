import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import type { AtMostOnceMemberOptions } from './at-most-once-member.ts'
import { createBacklog, ledgerLines, type MemberProcess, spawnMember } from './member-process.ts'

const bootstrap = kafkaBootstrap()
const memberScript = fileURLToPath(new URL('./at-most-once-member.ts', import.meta.url))
const PARTITIONS = 2
const PER_PARTITION = 300

function startMember(options: AtMostOnceMemberOptions): MemberProcess {
  return spawnMember(memberScript, options)
}

it.each(['partition', 'none'] as const)(
  "at-most-once, ordering '%s': a member SIGKILLed mid-batch, then its successor: no message is processed twice",
  async (ordering) => {
    const topic = uniqueName(`at-most-once-kill-${ordering}`)
    const groupId = uniqueName('at-most-once-kill')
    const kafka = new Kafka({ bootstrap, clientId: 'at-most-once-kill', logger: false })
    await createBacklog(kafka, topic, PARTITIONS, PER_PARTITION)

    const ledger = join(mkdtempSync(join(tmpdir(), 'samsa-amo-')), 'ledger')
    const options: AtMostOnceMemberOptions = { bootstrap, topic, groupId, ledger, ordering }
    const first = startMember(options)
    await waitFor(
      'the first member to process some messages',
      () => ledgerLines(ledger).length >= 100,
      60_000,
      20,
    )
    first.child.kill('SIGKILL')
    await first.exited
    const beforeKill = ledgerLines(ledger).length
    expect(beforeKill).toBeLessThan(PARTITIONS * PER_PARTITION)

    const second = startMember(options)
    const last = Array.from({ length: PARTITIONS }, (_, p) => `${p}:${PER_PARTITION - 1}`)
    await waitFor(
      'the successor to reach the end of every partition',
      () => {
        const lines = new Set(ledgerLines(ledger))
        return last.every((line) => lines.has(line))
      },
      60_000,
    )
    // SIGTERM: the member stops gracefully (handleSignals), commits and exits 0.
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    const probe = kafka.consumer({ groupId })
    try {
      const committed = await probe.committed(
        Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })),
      )
      expect(committed.map((c) => c.offset)).toEqual(
        Array.from({ length: PARTITIONS }, () => BigInt(PER_PARTITION)),
      )
    } finally {
      await probe.close()
    }

    const lines = ledgerLines(ledger)
    const seen = new Set<string>()
    const twice: string[] = []
    for (const line of lines) {
      if (seen.has(line)) twice.push(line)
      seen.add(line)
    }
    expect(twice).toEqual([])
    // At most the messages in handlers' hands at the kill may be lost (committed, then killed before their
    // ledger line): one per partition in order, up to maxInFlightPerPartition (4) out of order.
    const inHands = ordering === 'none' ? 4 : 1
    expect(seen.size).toBeGreaterThanOrEqual(PARTITIONS * PER_PARTITION - PARTITIONS * inHands)
  },
  120_000,
)
