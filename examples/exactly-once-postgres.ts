/**
 * Dekaf's "save the result and the offset in one database transaction", with samsa and PostgreSQL:
 * exactly-once processing into a database, without Kafka transactions, as one option of `run()`:
 * `offsetStore: new PostgresOffsetStore({ pool })` (from `samsa/postgres`).
 *
 * The handler gets `transaction`, a `pg` client inside BEGIN, and writes its result with it; the run then
 * stores the partition's next offset in the same transaction and commits. Either both are there or neither
 * is, so a crash at any point leaves a state the next owner of the partition resumes from exactly. On
 * assignment the run claims each partition (bumping its epoch, which fences a zombie that lost it without
 * noticing) and seeks to the stored offset. Kafka's committed offsets are not used at all.
 *
 *   node examples/exactly-once-postgres.ts <topic> <group> [--batch] [--crash-after N]
 *
 * (PostgreSQL from PGHOST/PGPORT/PGUSER/PGDATABASE, default postgres@127.0.0.1:5432/test) runs until SIGTERM
 * or Ctrl-C. `--batch` writes one transaction per polled batch of a partition (`eachBatch`) instead of one per
 * message. `--crash-after N` stands for a crash at the worst moment: the process SIGKILLs itself after
 * writing its (N+1)-th result, before the transaction holding it commits.
 */

import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { ConsumerMessage } from '../src/consumer/message.ts'
import { Kafka } from '../src/kafka.ts'
import { PostgresOffsetStore } from '../src/postgres/index.ts'
import type { RunHandle } from '../src/processing/runner.ts'
import { bootstrapAddress } from './example-support.ts'

/** The processing results; the unique key makes a second result for one input record impossible. */
export const RESULTS_TABLE = 'exactly_once_results'

/** The offsets table the store creates and uses. */
export const OFFSETS_TABLE = 'exactly_once_offsets'

export async function createResultsTable(db: pg.Pool): Promise<void> {
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

export interface WorkerOptions {
  db: pg.Pool
  topic: string
  groupId: string
  /** One database transaction per record (Dekaf's example) or one per polled batch of a partition. */
  transactions: 'per-message' | 'per-batch'
  /** Static membership: a restart with the same id takes the crashed member's place at once. */
  instanceId?: string
  /** Records per poll(), so the most a `per-batch` transaction holds (the consumer's default: 500). */
  maxPollRecords?: number
  /** Turns a record into the result to store; runs inside the transaction. Default: {@link uppercase}. */
  transform?: (message: ConsumerMessage) => string | Promise<string>
  /** Called after each result was written, inside the transaction still open, with the count so far. */
  afterWrite?: (written: number) => void
}

/** Starts a worker; stop it with the handle (or SIGTERM, with `handleSignals`). */
export async function startWorker(options: WorkerOptions): Promise<RunHandle> {
  const { db, topic, groupId } = options
  const consumer = new Kafka({ bootstrap: [bootstrapAddress()], logger: false }).consumer({
    groupId,
    autoOffsetReset: 'earliest',
    // The database holds the offsets; Kafka's committed offsets stay untouched.
    enableAutoCommit: false,
    ...(options.instanceId === undefined ? {} : { groupInstanceId: options.instanceId }),
    ...(options.maxPollRecords === undefined ? {} : { maxPollRecords: options.maxPollRecords }),
  })
  const transform = options.transform ?? uppercase
  let written = 0
  const write = async (client: pg.PoolClient, message: ConsumerMessage): Promise<void> => {
    await client.query(
      `INSERT INTO ${RESULTS_TABLE} (topic, partition, "offset", result) VALUES ($1, $2, $3, $4)`,
      [message.topic, message.partition, String(message.offset), await transform(message)],
    )
    options.afterWrite?.(++written)
  }
  return consumer.run({
    topics: [topic],
    offsetStore: new PostgresOffsetStore({ pool: db, table: OFFSETS_TABLE }),
    handleSignals: true,
    ...(options.transactions === 'per-message'
      ? { eachMessage: ({ message, transaction }) => write(transaction as pg.PoolClient, message) }
      : {
          eachBatch: async ({ batch, transaction }) => {
            for (const message of batch.messages) await write(transaction as pg.PoolClient, message)
          },
        }),
  })
}

/** Where PostgreSQL is: the PG* variables, else postgres@127.0.0.1:5432, database test. */
export function poolConfig(): pg.PoolConfig {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    database: process.env.PGDATABASE ?? 'test',
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [topic, groupId, ...flags] = process.argv.slice(2)
  if (topic === undefined || groupId === undefined) {
    console.error('usage: exactly-once-postgres.ts <topic> <group> [--batch] [--crash-after N]')
    process.exit(2)
  }
  const crashAt = flags.indexOf('--crash-after')
  const crashAfter = crashAt < 0 ? undefined : Number(flags[crashAt + 1])
  const db = new pg.Pool(poolConfig())
  await createResultsTable(db)
  const handle = await startWorker({
    db,
    topic,
    groupId,
    transactions: flags.includes('--batch') ? 'per-batch' : 'per-message',
    instanceId: `${groupId}-worker`,
    maxPollRecords: 20,
    afterWrite: (written) => {
      if (crashAfter !== undefined && written > crashAfter) process.kill(process.pid, 'SIGKILL')
    },
  })
  await handle.done
  await db.end()
  console.log('stopped')
}
