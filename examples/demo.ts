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
 * 4. The tally, from the ledgers' order ids: produced, billed, lost (0) and billed twice, and why that many: the
 *    orders the killed member billed after its last commit, which the group rightly hands out again.
 *
 * The broker: KAFKA_BOOTSTRAP if set; else the JVM rig (Apache Kafka 4.3.1) when Java is installed and
 * either Maven or the rig's cached jars are there; else samsa's in-process broker (src/broker), so the demo
 * runs on a machine with Node alone. `--broker=jvm` or `--broker=embedded` picks one; the demo says which.
 *
 * Run with `--keep-broker` to leave a JVM broker the demo started running afterwards, with `--orders=N` for
 * another number of orders (100,000 by default), and with `SAMSA_DEMO_KEEP_LEDGERS=1` to keep the ledgers
 * for a look of your own.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BrokerServer } from '../src/broker/broker-server.ts'
import { Kafka } from '../src/index.ts'
import { javaExecutable, kafkaLibsDir, startBroker, stopBroker } from '../src/rig/index.ts'
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
    // Counted by order id, read from each record's key: every order produced must appear at least once.
    const distinct = new Set(lines.map(({ order }) => order).filter((order) => order < orders)).size
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
      `billed           ${result.billed.toLocaleString('en')} (from the members' own ledgers by order id, not from Kafka)`,
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

function readLedger(path: string): Array<{ partition: number; offset: bigint; order: number }> {
  const entries: Array<{ partition: number; offset: bigint; order: number }> = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^(\d+):(\d+) order-(\d+)$/.exec(line)
    // A line cut short by the kill was not billed.
    if (match !== null) {
      entries.push({ partition: Number(match[1]), offset: BigInt(match[2]!), order: Number(match[3]) })
    }
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

/** Why the JVM rig cannot run here, or null when it can (Java, and Maven or the jars already cached). */
function jvmUnavailable(): string | null {
  try {
    javaExecutable()
  } catch {
    return 'no Java found'
  }
  const libs = kafkaLibsDir()
  if (existsSync(libs) && readdirSync(libs).length > 0) return null
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore', timeout: 60_000 })
  return mvn.error === undefined && mvn.status === 0
    ? null
    : 'Java found, but no Maven to fetch the Kafka jars'
}

function brokerChoice(): 'jvm' | 'embedded' | 'auto' {
  const flag = process.argv.find((arg) => arg.startsWith('--broker='))?.slice('--broker='.length)
  if (flag === undefined) return 'auto'
  if (flag === 'jvm' || flag === 'embedded') return flag
  throw new Error(`--broker must be jvm or embedded, not ${JSON.stringify(flag)}`)
}

/** `--orders=N`: how many orders to produce, a positive integer; the demo's default when absent. */
function ordersFlag(): number | undefined {
  const flag = process.argv.find((arg) => arg.startsWith('--orders='))?.slice('--orders='.length)
  if (flag === undefined) return undefined
  const orders = Number(flag)
  if (!Number.isSafeInteger(orders) || orders < 1) {
    throw new Error(`--orders must be a positive integer, not ${JSON.stringify(flag)}`)
  }
  return orders
}

async function main(): Promise<void> {
  const orders = ordersFlag()
  const keepBroker = process.argv.includes('--keep-broker')
  let bootstrap = process.env.KAFKA_BOOTSTRAP
  let stop: (() => Promise<void>) | undefined
  if (bootstrap !== undefined) {
    process.stdout.write(`using the cluster at KAFKA_BOOTSTRAP=${bootstrap}\n`)
  } else {
    const choice = brokerChoice()
    const missing = choice === 'auto' ? jvmUnavailable() : null
    if (choice === 'embedded' || missing !== null) {
      const server = await BrokerServer.start({ nodes: 1 })
      bootstrap = server.bootstrap
      stop = () => server.close()
      process.stdout.write(
        `using samsa's in-process broker at ${bootstrap} (${missing === null ? '--broker=embedded' : `${missing}`}; ` +
          'no JVM; --broker=jvm runs Apache Kafka 4.3.1 instead)\n',
      )
    } else {
      process.stdout.write(
        'starting a local Apache Kafka 4.3.1 broker, the JVM rig (the first run downloads its jars from Maven ' +
          "Central; --broker=embedded uses samsa's in-process broker instead)\n",
      )
      const broker = await startBroker()
      bootstrap = broker.bootstrap
      if (!broker.reused && !keepBroker) {
        stop = async () => {
          await stopBroker()
          process.stdout.write('stopped the broker the demo started (use --keep-broker to keep it)\n')
        }
      }
      process.stdout.write(`broker ready at ${bootstrap}\n`)
    }
  }
  try {
    const result = await runDemo(bootstrap, orders === undefined ? {} : { orders })
    if (result.lost !== 0) process.exitCode = 1
  } finally {
    await stop?.()
  }
}

if (import.meta.main) await main()
