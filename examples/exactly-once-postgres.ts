/**
 * Dekaf's "save the result and the offset in one database transaction", with samsa and PostgreSQL:
 * exactly-once processing into a database, without Kafka transactions.
 *
 * The offset of the next record to process lives in the database (`consumer_offsets`), next to the results,
 * and both are written by one transaction. Either both are there or neither is, so a crash at any point
 * leaves a state the next owner of the partition resumes from exactly. Kafka's committed offsets are not
 * used at all: auto-commit is off and nothing calls commit(); on assignment the worker reads the stored
 * offsets and seek()s to them (partitions without a row start at the beginning of the log).
 *
 * Two guards keep a rebalance from doing work twice. In the process: records of a partition the worker
 * does not own (yet, or any more) are not processed, and giving a partition up waits for the transaction in
 * flight. In the database: storing the offset is a conditional upsert that only moves it forward from where
 * this worker believes it is, so a zombie (a member that lost the partition without noticing) is refused
 * ("fenced") instead of writing results a second time.
 *
 *   node examples/exactly-once-postgres.ts <topic> <group>     (DATABASE_URL, default postgres://postgres@127.0.0.1/test)
 */

import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { TopicPartition } from '../src/common/types.ts'
import type { ConsumerMessage } from '../src/consumer/message.ts'
import { Kafka } from '../src/kafka.ts'
import { bootstrapAddress } from './example-support.ts'

/** One row per group and partition: the offset of the next record to process. */
export const OFFSETS_TABLE = 'consumer_offsets'
/** The processing results; the unique key proves no input record is ever stored twice. */
export const RESULTS_TABLE = 'exactly_once_results'

/** PostgreSQL's SQLSTATE for a unique constraint violation. */
const UNIQUE_VIOLATION = '23505'

export async function createTables(db: pg.Pool): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${OFFSETS_TABLE} (
    group_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (group_id, topic, partition))`)
  await db.query(`CREATE TABLE IF NOT EXISTS ${RESULTS_TABLE} (
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    result text NOT NULL,
    UNIQUE (topic, partition, "offset"))`)
}

/** The business logic this example stands for. */
export function uppercase(message: ConsumerMessage): string {
  return (message.value?.toString() ?? '').toUpperCase()
}

export type CrashPoint = 'before-commit' | 'after-commit'

export interface WorkerOptions {
  db: pg.Pool
  topic: string
  groupId: string
  /** One database transaction per record (Dekaf's example) or one per poll() batch. */
  transactions: 'per-message' | 'per-batch'
  /** Ends the worker: it finishes the transaction in progress, leaves the group and resolves. */
  signal: AbortSignal
  /** Records per poll(), so the most a `per-batch` transaction holds (the consumer's default: 500). */
  maxPollRecords?: number
  /** Turns a record into the result to store; runs inside the transaction. Default: {@link uppercase}. */
  transform?: (message: ConsumerMessage) => string | Promise<string>
  /**
   * Stands for a crash in the worst places, in the transaction holding the worker's `onRecord`-th record
   * (counting from 1): after its INSERT, before COMMIT (`before-commit`, so it rolls back), or right after
   * its COMMIT (`after-commit`).
   */
  crash?: { onRecord: number; at: CrashPoint }
  /** Called after every committed transaction, with what it committed. */
  onCommitted?: (messages: readonly ConsumerMessage[]) => void
}

export interface WorkerReport {
  /** Input values whose results (and offsets) this worker committed, in commit order. */
  committed: string[]
  /** True when the worker ended by its simulated crash. */
  crashed: boolean
  /** Transactions the database refused because the stored offset was already past them. */
  fenced: number
  /** Results the unique constraint refused. Zero unless exactly-once is broken. */
  duplicates: number
}

class SimulatedCrash extends Error {}

const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`

/** The stored next offsets of `partitions`; partitions without a row are absent. */
export async function storedOffsets(
  db: pg.Pool,
  groupId: string,
  partitions: readonly TopicPartition[],
): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM ${OFFSETS_TABLE}
     WHERE group_id = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
    [groupId, partitions.map((tp) => tp.topic), partitions.map((tp) => tp.partition)],
  )
  // int8 arrives as a string: JavaScript numbers cannot hold every offset.
  return new Map(rows.map((row) => [keyOf(row.topic, row.partition), BigInt(row.next_offset)]))
}

/** Consumes `topic` in `groupId` and stores each result with its offset in one transaction. */
export async function runWorker(options: WorkerOptions): Promise<WorkerReport> {
  const { db, topic, groupId, signal } = options
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()] }).consumer({
    groupId,
    autoOffsetReset: 'earliest',
    // The database holds the offsets; Kafka's committed offsets stay untouched.
    enableAutoCommit: false,
    ...(options.maxPollRecords === undefined ? {} : { maxPollRecords: options.maxPollRecords }),
  })
  const report: WorkerReport = { committed: [], crashed: false, fenced: 0, duplicates: 0 }
  /**
   * Partitions this worker owns and has positioned from the database, with the next offset it expects
   * (null when the database had none). Records of other partitions are dropped unprocessed: they were
   * fetched before the seek to the stored offset, or after the partition was given up.
   */
  const owned = new Map<string, bigint | null>()
  let inFlight: Promise<unknown> = Promise.resolve()
  /** Records this worker has started transactions for, to place the simulated crash. */
  let attempted = 0

  const positionFromDatabase = async (partitions: readonly TopicPartition[]): Promise<void> => {
    const stored = await storedOffsets(db, groupId, partitions)
    for (const tp of partitions) {
      const next = stored.get(keyOf(tp.topic, tp.partition))
      // Positioned explicitly even without a stored offset: records fetched before this listener ran were
      // dropped unprocessed (see `owned`), so wherever the consumer's own reset put it has moved on.
      if (next === undefined) consumer.seekToBeginning([tp])
      else consumer.seek({ topic: tp.topic, partition: tp.partition, offset: next })
      owned.set(keyOf(tp.topic, tp.partition), next ?? null)
    }
  }

  consumer.subscribe([topic], {
    onPartitionsAssigned: positionFromDatabase,
    // Also called for lost partitions. Once this returns, the new owner may read the stored offset, so the
    // transaction in flight must have committed or rolled back by then.
    onPartitionsRevoked: async (partitions) => {
      for (const tp of partitions) owned.delete(keyOf(tp.topic, tp.partition))
      await inFlight.catch(() => undefined)
    },
  })

  const client = await db.connect()
  try {
    while (!signal.aborted) {
      const polled = await consumer.poll({ timeoutMs: 200 })
      const groups = options.transactions === 'per-message' ? polled.map((message) => [message]) : [polled]
      for (const group of groups) {
        if (signal.aborted) break
        // Decided synchronously with starting the transaction, so a revoke either sees it in flight or
        // finds the partition gone before the transaction starts.
        const work = group.filter(isExpected)
        if (work.length === 0) continue
        attempted += work.length
        const crashes = options.crash !== undefined && attempted >= options.crash.onRecord
        const transaction = saveInOneTransaction(client, groupId, work, {
          transform: options.transform ?? uppercase,
          crashBeforeCommit: crashes && options.crash?.at === 'before-commit',
        })
        inFlight = transaction
        const outcome = await transaction
        if (outcome === 'fenced') {
          report.fenced++
          // Someone else stored a later offset: continue from there.
          await positionFromDatabase(
            partitionsOf(work).filter((tp) => owned.has(keyOf(tp.topic, tp.partition))),
          )
          continue
        }
        if (outcome === 'duplicate') {
          report.duplicates++
          continue
        }
        for (const message of work) owned.set(keyOf(message.topic, message.partition), message.offset + 1n)
        report.committed.push(...work.map((message) => message.value?.toString() ?? ''))
        options.onCommitted?.(work)
        if (crashes && options.crash?.at === 'after-commit')
          throw new SimulatedCrash('crashed right after COMMIT')
      }
    }
  } catch (error) {
    if (!(error instanceof SimulatedCrash)) throw error
    report.crashed = true
  } finally {
    client.release()
    await consumer.close()
  }
  return report

  function isExpected(message: ConsumerMessage): boolean {
    const key = keyOf(message.topic, message.partition)
    if (!owned.has(key)) return false
    const next = owned.get(key)
    // Below the expected offset: fetched before the seek, already processed by someone.
    return next === null || next === undefined || message.offset >= next
  }
}

type Outcome = 'committed' | 'fenced' | 'duplicate'

/**
 * BEGIN; move each partition's stored offset past its records; INSERT the results; COMMIT. Rolls back on
 * any failure, the simulated crash included.
 */
async function saveInOneTransaction(
  client: pg.PoolClient,
  groupId: string,
  messages: readonly ConsumerMessage[],
  step: { transform: NonNullable<WorkerOptions['transform']>; crashBeforeCommit: boolean },
): Promise<Outcome> {
  await client.query('BEGIN')
  try {
    for (const run of runsByPartition(messages)) {
      // The row lock taken here orders concurrent claims on a partition; the WHERE refuses a claim for
      // offsets that another transaction has already stored past.
      const claimed = await client.query(
        `INSERT INTO ${OFFSETS_TABLE} AS stored (group_id, topic, partition, next_offset)
         VALUES ($1, $2, $3, $5)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
         WHERE stored.next_offset <= $4`,
        [groupId, run.topic, run.partition, String(run.first), String(run.last + 1n)],
      )
      if (claimed.rowCount === 0) {
        await client.query('ROLLBACK')
        return 'fenced'
      }
    }
    const results: string[] = []
    for (const message of messages) results.push(await step.transform(message))
    await client.query(
      `INSERT INTO ${RESULTS_TABLE} (topic, partition, "offset", result)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[])`,
      [
        messages.map((m) => m.topic),
        messages.map((m) => m.partition),
        messages.map((m) => String(m.offset)),
        results,
      ],
    )
    if (step.crashBeforeCommit) throw new SimulatedCrash('crashed after the INSERT, before COMMIT')
    await client.query('COMMIT')
    return 'committed'
  } catch (error) {
    await client.query('ROLLBACK')
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return 'duplicate'
    throw error
  }
}

interface PartitionRun extends TopicPartition {
  first: bigint
  last: bigint
}

/** The first and last offset of each partition among `messages` (in order within a partition). */
function runsByPartition(messages: readonly ConsumerMessage[]): PartitionRun[] {
  const runs = new Map<string, PartitionRun>()
  for (const m of messages) {
    const key = keyOf(m.topic, m.partition)
    const run = runs.get(key)
    if (run === undefined)
      runs.set(key, { topic: m.topic, partition: m.partition, first: m.offset, last: m.offset })
    else run.last = m.offset
  }
  return [...runs.values()]
}

function partitionsOf(messages: readonly ConsumerMessage[]): TopicPartition[] {
  return runsByPartition(messages).map(({ topic, partition }) => ({ topic, partition }))
}

export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [topic, groupId] = process.argv.slice(2)
  if (topic === undefined || groupId === undefined) {
    console.error('usage: exactly-once-postgres.ts <topic> <group>')
    process.exit(2)
  }
  const db = new pg.Pool({ connectionString: databaseUrl() })
  await createTables(db)
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  process.once('SIGTERM', () => stop.abort())
  const report = await runWorker({ db, topic, groupId, transactions: 'per-message', signal: stop.signal })
  console.log(
    `committed ${report.committed.length} results (fenced ${report.fenced}, duplicates ${report.duplicates})`,
  )
  await db.end()
}
