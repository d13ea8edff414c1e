/**
 * One ledger scenario from start to verdict: topics (and sink) set up, the offset monitor and the members
 * started, the source producing while the scenario's fault loop runs, then a drain (members kept alive until
 * everything produced is processed and committed, or a deadline passes), a graceful stop, and the check.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { Kafka } from '../../src/kafka.ts'
import { runJavaTool } from '../../src/testing/java-tools.ts'
import { check } from './checker.ts'
import { Fleet } from './fleet.ts'
import { readLedgers } from './ledger.ts'
import { OffsetMonitor } from './monitor.ts'
import { produceSource, type SourceResult } from './source.ts'
import type { GroupProtocol, MemberMode, MemberOptions, Ordering, ResultRow } from './types.ts'

export interface ScenarioConfig {
  name: string
  bootstrap: string
  mode: MemberMode
  groupProtocol: GroupProtocol
  ordering?: Ordering
  partitions?: number
  replicationFactor?: number
  topicConfigs?: Record<string, string>
  members: number
  records: number
  /** How long production is spread over (it overlaps the fault loop). */
  produceOverMs: number
  commitEveryMs?: number
  workMs?: number
  inFlightPerPartition?: number
  abortEvery?: number
  /** How long members get, after the faults end, to process and commit everything. */
  drainTimeoutMs?: number
  memberOverrides?: Partial<MemberOptions>
  /** The fault loop: returns the number of faults it injected once it is done. */
  faults: (context: ScenarioContext) => Promise<number>
}

export interface ScenarioContext {
  fleet: Fleet
  /** Resolves when the source has written everything. */
  produced: Promise<SourceResult>
  /** True once production finished. */
  productionDone(): boolean
  /** Records the source has written so far. */
  producedSoFar(): number
  log(line: string): void
  /** Records a problem the fault loop saw (e.g. a member that did not stop cleanly): it fails the row. */
  problem(line: string): void
}

const log = (line: string) => process.stderr.write(`chaos: ${line}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`

export function pgPool(): pg.Pool {
  return new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 2 })
}

/** KIP-848 session timeouts are group configs; 6 s (the rig's floor) matches the classic members'. */
async function setConsumerGroupSession(bootstrap: string, group: string): Promise<void> {
  const result = await runJavaTool('kafka.admin.ConfigCommand', [
    '--bootstrap-server',
    bootstrap,
    '--entity-type',
    'groups',
    '--entity-name',
    group,
    '--alter',
    '--add-config',
    'consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=1000',
  ])
  if (result.code !== 0) throw new Error(`ConfigCommand failed: ${result.stderr}`)
}

export async function runScenario(config: ScenarioConfig): Promise<ResultRow> {
  const startedAt = Date.now()
  const partitions = config.partitions ?? 6
  const topic = unique(`chaos-${config.name}`)
  const group = unique(`chaos-${config.name}`)
  const outputTopic = `${topic}-out`
  const table = `chaos_${topic.replace(/[^a-z0-9]/g, '_')}`.slice(0, 50)
  const kafka = new Kafka({ bootstrap: config.bootstrap, clientId: 'chaos-harness', logger: false })
  const admin = kafka.admin()
  const ledgerDir = mkdtempSync(join(tmpdir(), 'samsa-chaos-'))
  // Kept when asked (CHAOS_KEEP) or when the row fails, so what went wrong can be read afterwards.
  let keepLedgers = process.env.CHAOS_KEEP !== undefined
  const replicationFactor = config.replicationFactor ?? 1
  await admin.createTopics([
    {
      topic,
      partitions,
      replicationFactor,
      ...(config.topicConfigs === undefined ? {} : { configs: config.topicConfigs }),
    },
    ...(config.mode === 'exactly-once-txn' ? [{ topic: outputTopic, partitions: 3, replicationFactor }] : []),
  ])
  if (config.groupProtocol === 'consumer') await setConsumerGroupSession(config.bootstrap, group)
  let pool: pg.Pool | undefined
  if (config.mode === 'exactly-once-pg') {
    pool = pgPool()
    await pool.query(`CREATE TABLE ${table} (output text NOT NULL)`)
  }
  const guarantee = config.mode.startsWith('exactly-once') ? 'exactly-once' : (config.mode as 'at-least-once')
  const ordering = config.ordering ?? 'partition'
  const fleet = new Fleet(ledgerDir, {
    bootstrap: config.bootstrap,
    topic,
    group,
    mode: config.mode,
    groupProtocol: config.groupProtocol,
    ordering,
    commitEveryMs: config.commitEveryMs ?? 250,
    workMs: config.workMs ?? 1,
    inFlightPerPartition: config.inFlightPerPartition ?? 1,
    outputTopic,
    transactionalId: unique('chaos-tx'),
    table,
    ...config.memberOverrides,
  })
  const monitor = new OffsetMonitor(config.bootstrap, group, topic, partitions)
  const notes: string[] = []
  let faults = 0
  try {
    for (let i = 0; i < config.members; i++) fleet.start()
    monitor.start()
    let done = false
    const progress: SourceResult = { produced: new Map(), aborted: new Set() }
    const produced = produceSource(
      {
        bootstrap: config.bootstrap,
        topic,
        count: config.records,
        chunk: 100,
        pauseMs: Math.max(0, Math.floor(config.produceOverMs / Math.ceil(config.records / 100))),
        abortEvery: config.abortEvery ?? 5,
        transactionalId: unique('chaos-source'),
      },
      progress,
    ).finally(() => {
      done = true
    })
    // Awaited after the fault loop; until then a failure must not count as an unhandled rejection.
    produced.catch(() => {})
    const problems: string[] = []
    faults = await config.faults({
      fleet,
      produced,
      productionDone: () => done,
      producedSoFar: () => progress.produced.size,
      log,
      problem: (line) => problems.push(line),
    })
    const source = await produced
    // Whatever the faults left, the group needs members to finish.
    while (fleet.live().length < config.members) fleet.start()
    const drained = await drain(config, fleet, monitor, ledgerDir, source, pool, table)
    if (drained !== null) notes.push(drained)
    const stopFailures = await fleet.stopAll()
    notes.push(...stopFailures)
    await monitor.stop()
    const sink =
      config.mode === 'exactly-once-txn'
        ? { outputs: await readOutputs(kafka, outputTopic, source.produced.size * 2), parts: 2 }
        : config.mode === 'exactly-once-pg'
          ? {
              outputs: (await pool!.query<{ output: string }>(`SELECT output FROM ${table}`)).rows.map(
                (r) => r.output,
              ),
              parts: 1,
            }
          : undefined
    const result = check({
      guarantee,
      ordering,
      produced: source.produced,
      aborted: source.aborted,
      entries: readLedgers(ledgerDir),
      commits: monitor.observations,
      backwardsCommits: monitor.backwards.length,
      ...(sink === undefined ? {} : { sink }),
      // Each kill can catch what one member had in its handlers: partitionsConcurrency (4) partitions, each
      // with up to inFlightPerPartition messages, committed before processing.
      maxInFlightLoss: faults * 4 * (config.inFlightPerPartition ?? 1),
    })
    if (drained !== null) {
      result.passed = false
      result.notes.push('the members did not finish within the drain deadline')
    }
    if (problems.length > 0) {
      result.passed = false
      result.notes.push(...problems.slice(0, 5))
    }
    // A member that does not stop cleanly on SIGTERM (drain, commit, leave) is a failure too.
    if (stopFailures.length > 0) result.passed = false
    if (monitor.backwards.length > 0) notes.push(...monitor.backwards.slice(0, 3))
    if (!result.passed) {
      keepLedgers = true
      notes.push(`ledgers and member logs kept in ${ledgerDir}`)
    }
    return {
      scenario: config.name,
      protocol: config.groupProtocol,
      guarantee,
      ...result,
      notes: [...result.notes, ...notes],
      stopsLeftUncommitted: fleet.stopsLeftUncommitted.length,
      remarks: fleet.stopsLeftUncommitted.slice(0, 3),
      faults,
      durationMs: Date.now() - startedAt,
    }
  } finally {
    await fleet.killAll()
    await monitor.stop().catch(() => {})
    await admin
      .deleteTopics([topic, ...(config.mode === 'exactly-once-txn' ? [outputTopic] : [])])
      .catch(() => {})
    await admin.close()
    if (pool !== undefined) {
      await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
      await pool.query(`DROP TABLE IF EXISTS ${table}_offsets`).catch(() => {})
      await pool.end()
    }
    if (!keepLedgers) rmSync(ledgerDir, { recursive: true, force: true })
    else log(`kept ${ledgerDir}`)
  }
}

/**
 * Waits until the members processed every produced record (at-least-once, exactly-once) and the group's
 * commits passed every produced record (all Kafka-committing modes). Returns why it gave up, or null.
 */
async function drain(
  config: ScenarioConfig,
  fleet: Fleet,
  monitor: OffsetMonitor,
  ledgerDir: string,
  source: SourceResult,
  pool: pg.Pool | undefined,
  table: string,
): Promise<string | null> {
  const ends = new Map<number, bigint>()
  for (const { partition, offset } of source.produced.values()) {
    if (offset + 1n > (ends.get(partition) ?? 0n)) ends.set(partition, offset + 1n)
  }
  const deadline = Date.now() + (config.drainTimeoutMs ?? 120_000)
  const committedAll = () => {
    const latest = monitor.latest()
    return [...ends].every(([p, end]) => (latest.get(p) ?? -1n) >= end)
  }
  const processedAll = async () => {
    if (config.mode === 'exactly-once-pg') {
      const { rows } = await pool!.query<{ n: string }>(`SELECT count(DISTINCT output) AS n FROM ${table}`)
      return Number(rows[0]!.n) >= source.produced.size
    }
    const seen = new Set<string>()
    for (const entry of readLedgers(ledgerDir)) if (entry.kind === 'processed') seen.add(entry.id)
    for (const id of source.produced.keys()) if (!seen.has(id)) return false
    return true
  }
  for (;;) {
    // Replace members that died on their own (a failed run is reported through their exit).
    while (fleet.live().length < config.members) fleet.start()
    const kafkaCommits = config.mode !== 'exactly-once-pg'
    const processed = config.mode === 'at-most-once' ? true : await processedAll()
    if (processed && (!kafkaCommits || committedAll())) return null
    if (Date.now() > deadline) {
      return `drain timed out after ${config.drainTimeoutMs ?? 120_000} ms (processed all: ${processed}, committed all: ${committedAll()}; committed ${JSON.stringify([...monitor.latest()].map(([p, o]) => `${p}:${o}`))}, ends ${JSON.stringify([...ends].map(([p, o]) => `${p}:${o}`))})`
    }
    await sleep(500)
  }
}

/** Reads the output topic read_committed from the start until `expected` outputs came and two polls more. */
async function readOutputs(kafka: Kafka, topic: string, expected: number): Promise<string[]> {
  const reader = kafka.consumer({ isolationLevel: 'read_committed', autoOffsetReset: 'earliest' })
  reader.assign([0, 1, 2].map((partition) => ({ topic, partition })))
  const values: string[] = []
  const deadline = Date.now() + 60_000
  let quiet = 0
  try {
    while (Date.now() < deadline && quiet < 3) {
      const messages = await reader.poll({ timeoutMs: 500 })
      for (const m of messages) values.push(m.value?.toString() ?? '')
      quiet = values.length >= expected && messages.length === 0 ? quiet + 1 : 0
    }
  } finally {
    await reader.close()
  }
  return values
}
