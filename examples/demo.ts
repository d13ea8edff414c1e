/**
 * `npm run demo`: samsa's headline in about a minute — a real crash, and offsets that lose nothing.
 *
 * 1. Starts the project's own Kafka broker (or uses KAFKA_BOOTSTRAP), creates a 6-partition topic and
 *    produces 100,000 keyed orders.
 * 2. Three billing members (separate processes, `run()` with after-success acknowledgement and a commit every
 *    second) share the work in one consumer group. Each writes every order it bills to a ledger of its own,
 *    which the demo reads independently of Kafka.
 * 3. A third of the way in, one member is killed with SIGKILL, in the middle of a batch: no commit, no
 *    goodbye. A live table shows each partition's owner, committed offset and lag while the group notices
 *    (after the 6 s session timeout), hands the dead member's partitions to the survivors, and they catch up.
 * 4. The tally, from the ledgers: produced, billed, lost (0) and billed twice, and why exactly that many: the
 *    orders the killed member billed after its last commit, which the group rightly hands out again.
 *
 * Run with `--keep-broker` to leave a broker the demo started running afterwards, and with
 * `SAMSA_DEMO_KEEP_LEDGERS=1` to keep the ledgers for a look of your own.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka } from '../src/index.ts'
import { startBroker, stopBroker } from '../src/rig/index.ts'
import type { DemoMemberOptions } from './demo-member.ts'

export interface DemoOptions {
  orders?: number
  members?: number
  /** Kill a member once this share of the orders has been billed. */
  killAt?: number
  /** Simulated billing time per order, in microseconds. */
  microsPerOrder?: number
  /** Where the narration goes; the live table is redrawn in place only on a terminal. */
  write?: (text: string) => void
  /** Bound on the whole run. */
  timeoutMs?: number
}

export interface DemoResult {
  produced: number
  /** Ledger lines: every billing, repeats included. */
  billed: number
  distinct: number
  lost: number
  duplicated: number
  /** Orders the killed member billed past its group's committed offsets when it died. */
  billedAfterLastCommit: number
  killed: string
  /** From the kill until every partition's committed offset reached its log end. */
  recoveryMs: number
}

const PARTITIONS = 6

export async function runDemo(bootstrap: string, options: DemoOptions = {}): Promise<DemoResult> {
  const orders = options.orders ?? 100_000
  const memberCount = options.members ?? 3
  const killAt = options.killAt ?? 1 / 3
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  const say = (line: string) => write(`${line}\n`)
  const deadline = performance.now() + (options.timeoutMs ?? 240_000)
  const kafka = new Kafka({ bootstrap, clientId: 'samsa-demo', logger: false })
  const admin = kafka.admin()
  const stamp = Date.now().toString(36)
  const topic = `demo-orders-${stamp}`
  const groupId = `demo-billing-${stamp}`
  const dir = mkdtempSync(join(tmpdir(), 'samsa-demo-'))
  const members: Array<{ name: string; ledger: string; child: ChildProcess }> = []
  try {
    await admin.createTopics([{ topic, partitions: PARTITIONS }])
    const producer = kafka.producer()
    const started = performance.now()
    for (let from = 0; from < orders; from += 10_000) {
      const count = Math.min(10_000, orders - from)
      await producer.sendBatch(
        Array.from({ length: count }, (_, i) => ({
          topic,
          key: `order-${from + i}`,
          value: JSON.stringify({ id: from + i, amountCents: ((from + i) * 7919) % 10_000 }),
        })),
      )
    }
    await producer.close()
    say(
      `produced ${orders.toLocaleString('en')} orders to ${topic} (${PARTITIONS} partitions) in ${seconds(started)}`,
    )

    for (let i = 1; i <= memberCount; i++) {
      const name = `billing-${i}`
      const ledger = join(dir, `${name}.ledger`)
      writeFileSync(ledger, '')
      const memberOptions: DemoMemberOptions = {
        bootstrap,
        topic,
        groupId,
        name,
        ledger,
        microsPerOrder: options.microsPerOrder ?? 1000,
      }
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, 'demo-member.ts'), JSON.stringify(memberOptions)],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      )
      members.push({ name, ledger, child })
    }
    say(`started ${memberCount} billing members (separate processes; after-success, commit every second)`)

    const ledgerLines = () => members.flatMap((m) => readLedger(m.ledger))
    await until(
      () => ledgerLines().length >= orders * killAt,
      deadline,
      'the members to bill a third of the orders',
    )

    // Kill one member, mid-batch: its ledger already has orders whose offsets were never committed.
    const victim = members[Math.min(1, members.length - 1)]!
    victim.child.kill('SIGKILL')
    const killedAt = performance.now()
    await new Promise<void>((resolve) =>
      victim.child.exitCode !== null || victim.child.signalCode !== null
        ? resolve()
        : victim.child.once('exit', () => resolve()),
    )
    const committedAtKill = new Map(
      (await partitionTable(admin, groupId)).map((row) => [row.partition, row.committed]),
    )
    const billedAfterLastCommit = readLedger(victim.ledger).filter(
      ({ partition, offset }) => offset >= (committedAtKill.get(partition) ?? 0n),
    ).length
    say(
      `\nSIGKILL ${victim.name} in the middle of a batch: it had billed ${billedAfterLastCommit.toLocaleString('en')} ` +
        'orders since its last commit, which the group will hand out again\n',
    )

    // The live table, until every partition's committed offset reached its log end.
    const live = process.stdout.isTTY === true && options.write === undefined
    let drawn = 0
    let lastPrinted = 0
    for (;;) {
      const rows = await partitionTable(admin, groupId)
      const caughtUp = rows.length === PARTITIONS && rows.every((row) => row.lag === 0n)
      const now = performance.now()
      if (live || caughtUp || now - lastPrinted >= 3000) {
        if (live && drawn > 0) write(`\x1b[${drawn}A`)
        const text = renderTable(rows, (now - killedAt) / 1000)
        write(text)
        drawn = text.split('\n').length - 1
        lastPrinted = now
      }
      if (caughtUp) break
      if (now > deadline) throw new Error('the demo did not finish in time; is the broker overloaded?')
      await sleep(live ? 500 : 250)
    }
    const recoveryMs = performance.now() - killedAt

    for (const member of members) if (member !== victim) member.child.kill('SIGTERM')
    await Promise.all(
      members
        .filter((m) => m !== victim)
        .map(
          (m) =>
            new Promise<void>((resolve) =>
              m.child.exitCode !== null ? resolve() : m.child.once('exit', () => resolve()),
            ),
        ),
    )

    const lines = ledgerLines()
    const distinct = new Set(lines.map(({ partition, offset }) => `${partition}:${offset}`)).size
    const result: DemoResult = {
      produced: orders,
      billed: lines.length,
      distinct,
      lost: orders - distinct,
      duplicated: lines.length - distinct,
      billedAfterLastCommit,
      killed: victim.name,
      recoveryMs,
    }
    say('')
    say(`produced         ${orders.toLocaleString('en')}`)
    say(
      `billed           ${result.billed.toLocaleString('en')} (from the members' own ledgers, not from Kafka)`,
    )
    say(`lost             ${result.lost.toLocaleString('en')}`)
    say(
      `billed twice     ${result.duplicated.toLocaleString('en')}: the orders ${victim.name} billed after its last ` +
        `commit (${billedAfterLastCommit.toLocaleString('en')}), redelivered to the members that took its partitions`,
    )
    say(`recovered in     ${(recoveryMs / 1000).toFixed(1)} s after the kill (6 s of it the session timeout)`)
    say(result.lost === 0 ? 'at-least-once, as chosen: nothing lost' : 'ORDERS WERE LOST')
    await admin.deleteTopics([topic]).catch(() => undefined)
    return result
  } finally {
    for (const member of members) if (member.child.exitCode === null) member.child.kill('SIGKILL')
    await admin.close()
    if (process.env.SAMSA_DEMO_KEEP_LEDGERS === undefined) rmSync(dir, { recursive: true, force: true })
    else process.stderr.write(`ledgers kept in ${dir}\n`)
  }
}

interface PartitionRow {
  partition: number
  owner: string
  committed: bigint
  logEnd: bigint
  lag: bigint
}

async function partitionTable(admin: ReturnType<Kafka['admin']>, groupId: string): Promise<PartitionRow[]> {
  const rows = await admin.listGroupOffsets(groupId).catch(() => [])
  return rows
    .map((row) => ({
      partition: row.partition,
      owner: row.clientId ?? '-',
      committed: row.committedOffset ?? 0n,
      logEnd: row.logEndOffset ?? 0n,
      lag: row.lag ?? row.logEndOffset ?? 0n,
    }))
    .sort((a, b) => a.partition - b.partition)
}

function renderTable(rows: PartitionRow[], secondsSinceKill: number): string {
  const n = (value: bigint) => value.toLocaleString('en').padStart(9)
  const lines = [
    `  ${secondsSinceKill.toFixed(1).padStart(5)} s after the kill`,
    '  partition  owner        committed   log end       lag',
  ]
  for (const row of rows) {
    lines.push(
      `  ${String(row.partition).padStart(9)}  ${row.owner.padEnd(10)} ${n(row.committed)} ${n(row.logEnd)} ${n(row.lag)}`,
    )
  }
  return `${lines.join('\n')}\n`
}

function readLedger(path: string): Array<{ partition: number; offset: bigint }> {
  const entries: Array<{ partition: number; offset: bigint }> = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^(\d+):(\d+)$/.exec(line)
    // A line cut short by the kill was not billed.
    if (match !== null) entries.push({ partition: Number(match[1]), offset: BigInt(match[2]!) })
  }
  return entries
}

async function until(condition: () => boolean, deadline: number, what: string): Promise<void> {
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`the demo timed out waiting for ${what}`)
    await sleep(100)
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`
}

async function main(): Promise<void> {
  const keepBroker = process.argv.includes('--keep-broker')
  let bootstrap = process.env.KAFKA_BOOTSTRAP
  let startedHere = false
  if (bootstrap === undefined) {
    process.stdout.write(
      'starting a local Apache Kafka 4.3.1 broker (the first run downloads its jars from Maven Central)\n',
    )
    const broker = await startBroker()
    bootstrap = broker.bootstrap
    startedHere = !broker.reused
    process.stdout.write(`broker ready at ${bootstrap}\n`)
  }
  try {
    const result = await runDemo(bootstrap)
    if (result.lost !== 0) process.exitCode = 1
  } finally {
    if (startedHere && !keepBroker) {
      await stopBroker()
      process.stdout.write('stopped the broker the demo started (use --keep-broker to keep it)\n')
    }
  }
}

if (import.meta.main) await main()
