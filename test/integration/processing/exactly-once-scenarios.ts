/**
 * Exactly-once crash scenarios with real processes: members (exactly-once-member.ts) started, SIGKILLed at
 * random points and restarted, on the real broker and the real PostgreSQL. Each scenario returns what it
 * observed and leaves the assertions to its caller, so the same scenarios can run beside other faults
 * (broker restarts, a chaos suite) with their own expectations.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Kafka } from '../../../src/index.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import { type ExactlyOnceMemberOptions, postgresConfig } from './exactly-once-member.ts'

const memberScript = fileURLToPath(new URL('./exactly-once-member.ts', import.meta.url))

/** A running member and what it printed so far. */
export interface Member {
  child: ChildProcess
  lines: string[]
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  /** Resolves once a line satisfying `match` was printed; rejects if the member exits first or after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>
}

export function startMember(options: ExactlyOnceMemberOptions): Member {
  const child = spawn(process.execPath, [memberScript, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let pending = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    const parts = pending.split('\n')
    pending = parts.pop() ?? ''
    lines.push(...parts)
    for (const wake of waiters) wake()
  })
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      exitCode = code
      for (const wake of waiters) wake()
      resolve(code)
    }),
  )
  const waitForLine = (match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = lines.find(match)
        if (line !== undefined) finish(() => resolve(line))
        else if (exitCode !== undefined)
          finish(() => reject(new Error(`member ${options.tag} exited (${exitCode}): ${lines.join(' | ')}`)))
      }
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`member ${options.tag} printed no such line: ${lines.join(' | ')}`))),
        timeoutMs,
      )
      const finish = (settle: () => void): void => {
        clearTimeout(timer)
        waiters.delete(check)
        settle()
      }
      waiters.add(check)
      check()
    })
  return { child, lines, exited, waitForLine }
}

/** Ends a member with SIGKILL and waits until it is gone. */
export async function kill(member: Member): Promise<void> {
  member.child.kill('SIGKILL')
  await member.exited
}

/**
 * Stops a member with SIGTERM (a graceful stop) and resolves with its exit code; one that has not exited
 * after 20 s is SIGKILLed and reported as null.
 */
export async function terminate(member: Member): Promise<number | null> {
  member.child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), 20_000)
  })
  const outcome = await Promise.race([member.exited, hung])
  clearTimeout(timer)
  if (outcome !== 'hung') return outcome
  await kill(member)
  return null
}

export interface KillScenarioOptions {
  bootstrap: string
  /** How many members are SIGKILLed (one per round) before a last one finishes the work. */
  kills: number
  /** New inputs produced before each round, so every member has work when it is killed. Default 6. */
  inputsPerRound?: number
  /** Input partitions. Default 2. */
  partitions?: number
  /** Called after each kill, e.g. to check an invariant or inject another fault. */
  afterKill?: (round: number) => Promise<void>
}

/** Where a round's kill landed: at a random time after start, or a random time after the first handler call. */
export type KillPoint = 'any-time' | 'while-handling'

export interface KillScenarioReport {
  input: string
  groupId: string
  /** Every input value produced, in no particular order. */
  inputs: string[]
  killPoints: KillPoint[]
  /** Exit code of the last member after SIGTERM. */
  finalExitCode: number | null
}

function handlerForm(round: number): Pick<ExactlyOnceMemberOptions, 'handler' | 'partitionsConcurrency'> {
  if (round % 3 === 1) return { handler: 'batch' }
  if (round % 3 === 2) return { handler: 'message', partitionsConcurrency: 2 }
  return { handler: 'message' }
}

/** A random kill point and delay: a third of the kills anywhere in the first 1.5 s, the rest mid-processing. */
function chooseKillPoint(): { point: KillPoint; delayMs: number } {
  return Math.random() < 1 / 3
    ? { point: 'any-time', delayMs: Math.floor(Math.random() * 1500) }
    : { point: 'while-handling', delayMs: Math.floor(Math.random() * 200) }
}

async function killAtRandomPoint(member: Member): Promise<KillPoint> {
  const { point, delayMs } = chooseKillPoint()
  if (point === 'while-handling') await member.waitForLine((line) => line === 'handling')
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  await kill(member)
  return point
}

async function produceRound(kafka: Kafka, input: string, partitions: number, from: number, count: number) {
  const producer = kafka.producer({ lingerMs: 0 })
  try {
    await producer.sendBatch(
      Array.from({ length: count }, (_, i) => ({
        topic: input,
        partition: (from + i) % partitions,
        value: `m${from + i}`,
      })),
    )
  } finally {
    await producer.close()
  }
}

/** The committed offsets of `groupId` on `topic` equal its log-end offsets (read stable). */
export async function committedToEnd(kafka: Kafka, groupId: string, topic: string, partitions: number) {
  const admin = kafka.admin()
  const probe = kafka.consumer({ groupId })
  try {
    const ends = await admin.listOffsets(topic)
    const committed = await probe.committed(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    )
    return ends.every(
      ({ partition, latest }) => committed.find((c) => c.partition === partition)?.offset === latest,
    )
  } finally {
    await probe.close()
    await admin.close()
  }
}

/**
 * Rounds of: produce a few inputs, start the member, SIGKILL it at a random point. Then a last member runs
 * until `finished()` holds and is stopped with SIGTERM. `member(round)` gives each round's options.
 */
async function killRounds(
  kafka: Kafka,
  input: string,
  options: KillScenarioOptions,
  member: (tag: string) => ExactlyOnceMemberOptions,
  finished: () => Promise<boolean>,
): Promise<Pick<KillScenarioReport, 'inputs' | 'killPoints' | 'finalExitCode'>> {
  const partitions = options.partitions ?? 2
  const perRound = options.inputsPerRound ?? 6
  const killPoints: KillPoint[] = []
  let produced = 0
  for (let round = 0; round < options.kills; round++) {
    await produceRound(kafka, input, partitions, produced, perRound)
    produced += perRound
    // The handler form varies by round, on the same group and state: eachMessage, eachBatch, and eachMessage
    // with two partitions at once (with Kafka transactions, both in one shared transaction).
    const started = startMember({ ...member(`k${round}`), ...handlerForm(round) })
    try {
      killPoints.push(await killAtRandomPoint(started))
    } finally {
      await kill(started)
    }
    await options.afterKill?.(round)
  }
  const last = startMember(member('last'))
  let finalExitCode: number | null
  try {
    // Its run must have started (SIGTERM handled) before it is stopped, even when a killed predecessor
    // already committed everything.
    await last.waitForLine((line) => line === 'assigned', 60_000)
    await waitFor('the last member to process every input', finished, 120_000, 100)
  } finally {
    finalExitCode = await terminate(last)
  }
  const inputs = Array.from({ length: produced }, (_, i) => `m${i}`)
  return { inputs, killPoints, finalExitCode }
}

export interface TransformKillReport extends KillScenarioReport {
  output: string
  /** Output values as a read_committed reader sees them, tags stripped, sorted. */
  committed: string[]
  /** How many output records a read_uncommitted reader sees (aborted transactions included). */
  uncommittedCount: number
}

/**
 * A consume-transform-produce pipeline (`run({ transactional })`, one transactional id kept across restarts,
 * static membership so a restart takes its predecessor's place at once) SIGKILLed `kills` times.
 */
export async function transformKillScenario(options: KillScenarioOptions): Promise<TransformKillReport> {
  const kafka = new Kafka({ bootstrap: options.bootstrap, clientId: 'eos-kill', logger: false })
  const partitions = options.partitions ?? 2
  const input = uniqueName('eos-kill-in')
  const output = uniqueName('eos-kill-out')
  const groupId = uniqueName('eos-kill')
  const admin = kafka.admin()
  await admin.createTopics([
    { topic: input, partitions },
    { topic: output, partitions: 1 },
  ])
  await admin.close()
  const transactionalId = `${groupId}-tx`
  const rounds = await killRounds(
    kafka,
    input,
    options,
    (tag) => ({
      form: 'transactional',
      bootstrap: options.bootstrap,
      input,
      output,
      groupId,
      transactionalId,
      instanceId: `${groupId}-member`,
      tag,
      jitterMs: 20,
    }),
    () => committedToEnd(kafka, groupId, input, partitions),
  )
  const committed = (await readAll(kafka, output, 'read_committed', rounds.inputs.length))
    .map((value) => value.slice(0, value.lastIndexOf('@')))
    .sort()
  const uncommittedCount = (await readAll(kafka, output, 'read_uncommitted', rounds.inputs.length)).length
  return { input, output, groupId, ...rounds, committed, uncommittedCount }
}

/**
 * Every value of partition 0 of `topic` as a reader with `isolationLevel` sees it: polls until at least
 * `atLeast` arrived, then once more, so extra records (duplicates) would be seen too.
 */
export async function readAll(
  kafka: Kafka,
  topic: string,
  isolationLevel: 'read_committed' | 'read_uncommitted',
  atLeast: number,
): Promise<string[]> {
  const reader = kafka.consumer({ isolationLevel, autoOffsetReset: 'earliest' })
  reader.assign([{ topic, partition: 0 }])
  const values: string[] = []
  try {
    await waitFor(
      `${atLeast} values in ${topic} (${isolationLevel})`,
      async () => {
        for (const message of await reader.poll({ timeoutMs: 200 }))
          values.push(message.value?.toString() ?? '')
        return values.length >= atLeast
      },
      60_000,
    )
    for (const message of await reader.poll({ timeoutMs: 500 })) values.push(message.value?.toString() ?? '')
  } finally {
    await reader.close()
  }
  return values
}

export interface PostgresKillReport extends KillScenarioReport {
  resultsTable: string
  offsetsTable: string
  /** `partition:offset` of every result row, sorted (a duplicate shows as a repeated entry). */
  rows: string[]
  /** The stored next offset of each partition, by partition. */
  stored: Map<number, bigint>
  /** Checks made after each kill: a partition whose stored offset did not match its rows, if any. */
  mismatches: string[]
}

export function resultsTableDefinition(table: string): string {
  // No unique key on purpose: a duplicate must show up as a second row, not as a failed insert.
  return `CREATE TABLE IF NOT EXISTS ${table} (
    topic text NOT NULL, partition integer NOT NULL, "offset" bigint NOT NULL, value text NOT NULL,
    written_by text NOT NULL)`
}

/**
 * `run({ offsetStore: PostgresOffsetStore })` SIGKILLed `kills` times; after each kill the stored offsets are
 * compared with the rows (offsets 0..next-1 of each partition present, each once).
 */
export async function postgresKillScenario(options: KillScenarioOptions): Promise<PostgresKillReport> {
  const kafka = new Kafka({ bootstrap: options.bootstrap, clientId: 'eos-pg-kill', logger: false })
  const partitions = options.partitions ?? 2
  const input = uniqueName('eos-pg-kill')
  const groupId = uniqueName('eos-pg-kill')
  const suffix = groupId.replace(/[^a-z0-9]/g, '_')
  const resultsTable = `eos_kill_results_${suffix}`
  const offsetsTable = `eos_kill_offsets_${suffix}`
  const admin = kafka.admin()
  await admin.createTopics([{ topic: input, partitions }])
  await admin.close()
  const pool = new pg.Pool({ ...postgresConfig(), max: 2 })
  const mismatches: string[] = []
  try {
    await pool.query(resultsTableDefinition(resultsTable))
    const rounds = await killRounds(
      kafka,
      input,
      {
        ...options,
        afterKill: async (round) => {
          mismatches.push(...(await offsetMismatches(pool, resultsTable, offsetsTable, groupId)))
          await options.afterKill?.(round)
        },
      },
      (tag) => ({
        form: 'postgres',
        bootstrap: options.bootstrap,
        input,
        groupId,
        instanceId: `${groupId}-member`,
        tag,
        jitterMs: 20,
        resultsTable,
        offsetsTable,
      }),
      async () =>
        (await storedTotal(pool, offsetsTable, groupId)) >= options.kills * (options.inputsPerRound ?? 6),
    )
    const { rows } = await pool.query<{ partition: number; offset: string }>(
      `SELECT partition, "offset" FROM ${resultsTable} ORDER BY partition, "offset"`,
    )
    const stored = new Map(
      (
        await pool.query<{ partition: number; next_offset: string }>(
          `SELECT partition, next_offset FROM ${offsetsTable} WHERE group_id = $1`,
          [groupId],
        )
      ).rows.map((row) => [row.partition, BigInt(row.next_offset)]),
    )
    mismatches.push(...(await offsetMismatches(pool, resultsTable, offsetsTable, groupId)))
    return {
      input,
      groupId,
      ...rounds,
      resultsTable,
      offsetsTable,
      rows: rows.map((row) => `${row.partition}:${row.offset}`),
      stored,
      mismatches,
    }
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${resultsTable}`).catch(() => undefined)
    await pool.query(`DROP TABLE IF EXISTS ${offsetsTable}`).catch(() => undefined)
    await pool.end()
  }
}

/** The sum of the stored next offsets: how many inputs have committed results. */
async function storedTotal(pool: pg.Pool, offsetsTable: string, groupId: string): Promise<number> {
  const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [offsetsTable])
  if (exists.rows[0]?.t === null) return 0
  const { rows } = await pool.query<{ total: string | null }>(
    `SELECT sum(next_offset) AS total FROM ${offsetsTable} WHERE group_id = $1`,
    [groupId],
  )
  return Number(rows[0]?.total ?? 0)
}

/**
 * Partitions whose rows are not exactly offsets 0..next-1, each once, for the stored next offset (a missing
 * offsets row counts as 0).
 */
async function offsetMismatches(
  pool: pg.Pool,
  resultsTable: string,
  offsetsTable: string,
  groupId: string,
): Promise<string[]> {
  const exists = await pool.query(`SELECT to_regclass($1) AS t`, [offsetsTable])
  const stored = new Map<number, bigint>()
  if ((exists.rows[0] as { t: string | null }).t !== null) {
    const { rows } = await pool.query<{ partition: number; next_offset: string | null }>(
      `SELECT partition, next_offset FROM ${offsetsTable} WHERE group_id = $1`,
      [groupId],
    )
    for (const row of rows) stored.set(row.partition, BigInt(row.next_offset ?? 0))
  }
  const { rows } = await pool.query<{ partition: number; n: string; distinct_n: string; max: string | null }>(
    `SELECT partition, count(*) AS n, count(DISTINCT "offset") AS distinct_n, max("offset") AS max
     FROM ${resultsTable} GROUP BY partition`,
  )
  const mismatches: string[] = []
  const partitions = new Set([...stored.keys(), ...rows.map((row) => row.partition)])
  for (const partition of partitions) {
    const next = stored.get(partition) ?? 0n
    const row = rows.find((r) => r.partition === partition)
    const n = BigInt(row?.n ?? 0)
    const distinct = BigInt(row?.distinct_n ?? 0)
    const max = row?.max === null || row === undefined ? -1n : BigInt(row.max)
    if (n !== next || distinct !== next || max !== next - 1n) {
      mismatches.push(
        `partition ${partition}: stored next offset ${next}, ${n} rows (${distinct} distinct, max ${max})`,
      )
    }
  }
  return mismatches
}
