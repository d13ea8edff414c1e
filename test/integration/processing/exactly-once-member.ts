/**
 * One exactly-once `run()` member as a process of its own, so tests can SIGKILL it at any point, or freeze it
 * (SIGSTOP) mid-unit to make a zombie. Two forms, as `run()` offers them:
 *
 * - `transactional`: each input `v` becomes the output record `v@<tag>`, sent with the transactional producer
 *   the handler gets, committed with the input offset in one Kafka transaction.
 * - `postgres`: each input becomes a row of `resultsTable` (topic, partition, offset, value, written_by),
 *   inserted in the database transaction that also stores the next offset (`PostgresOffsetStore`).
 *
 * The tag names the process, so a test can tell a zombie's writes from its successor's. After each write the
 * handler waits a random 0..jitterMs, so kills land between the write and the commit as often as elsewhere.
 * `handler` and `partitionsConcurrency` choose the handler form (eachMessage or eachBatch, one or more
 * partitions at once).
 *
 * Lines on stdout, for the test to wait on: `assigned`, `handling` (first handler call), `holding <value>`
 * (the handler reached `holdOn` and waits `holdMs` before going on), `woken` (see `holdAfterWakeMs`),
 * `assigned`, `revoked` and `lost` (rebalance listener), `error <name>: <message>` (onError),
 * `log <level> <message>` (warnings and errors), and at the end `done` or `failed <name>`. Exit code 0 after a clean stop (SIGTERM), 3 when the run failed.
 *
 * Usage: node exactly-once-member.ts '<json ExactlyOnceMemberOptions>'
 */

import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { Kafka, type Producer } from '../../../src/index.ts'
import { PostgresOffsetStore } from '../../../src/postgres/index.ts'

export interface ExactlyOnceMemberOptions {
  form: 'transactional' | 'postgres'
  bootstrap: string
  input: string
  groupId: string
  tag: string
  /** Static membership: a restarted member with the same id takes its predecessor's place at once. */
  instanceId?: string
  /** Classic session timeout; a frozen member is evicted after it. Default 30 000. */
  sessionTimeoutMs?: number
  jitterMs?: number
  maxPollRecords?: number
  /** `transactional`: where the results go, and the producer's transactional id. */
  output?: string
  transactionalId?: string
  /** `postgres`: the results table (created by the test) and the offsets table. */
  resultsTable?: string
  offsetsTable?: string
  /** eachMessage (default) or eachBatch. */
  handler?: 'message' | 'batch'
  /** Partitions handled at the same time. Default 1. */
  partitionsConcurrency?: number
  /** The input value at which the handler announces `holding` and waits `holdMs` after its write. */
  holdOn?: string
  holdMs?: number
  /**
   * Instead of `holdMs`: at `holdOn`, wait to be frozen (SIGSTOP) and woken, say `woken`, then hold on this
   * long, so the member notices it lost its partitions while the unit is still open.
   */
  holdAfterWakeMs?: number
}

/** The pool settings every exactly-once test uses: 127.0.0.1:5432, database test; PG* variables override. */
export function postgresConfig(): pg.PoolConfig {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    database: process.env.PGDATABASE ?? 'test',
  }
}

async function main(options: ExactlyOnceMemberOptions): Promise<void> {
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`)
  }
  // Warnings and errors become `log ...` lines, so a failing test can show what the member went through.
  const log =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const error = fields?.error as Error | undefined
      say(
        `log ${level} ${message}${error === undefined ? '' : ` (${error.name}: ${error.message?.split('\n')[0]})`}`,
      )
    }
  const logger = { debug: () => {}, info: () => {}, warn: log('warn'), error: log('error') }
  const kafka = new Kafka({ bootstrap: options.bootstrap, clientId: options.tag, logger })
  const consumer = kafka.consumer({
    groupId: options.groupId,
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    isolationLevel: 'read_committed',
    maxPollRecords: options.maxPollRecords ?? 5,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: 1000,
    // A predecessor killed in the middle of a rebalance is given up on after this, not after 5 minutes.
    rebalanceTimeoutMs: 10_000,
    ...(options.instanceId === undefined ? {} : { groupInstanceId: options.instanceId }),
  })
  const jitterMs = options.jitterMs ?? 0
  let handling = false
  const afterWrite = async (value: string): Promise<void> => {
    if (value === options.holdOn) {
      // Read before the line goes out: the test may freeze the process the moment it reads it, even before
      // the next statement here runs, and the gap must still fall inside the first tick.
      const announced = Date.now()
      say(`holding ${value}`)
      if (options.holdAfterWakeMs === undefined) await sleep(options.holdMs ?? 1000)
      else {
        // A frozen process runs no timers: a tick arriving seconds late means it was stopped and woken.
        for (let last = announced; ; ) {
          await sleep(100)
          const now = Date.now()
          if (now - last > 2000) break
          last = now
        }
        say('woken')
        await sleep(options.holdAfterWakeMs)
      }
    }
    if (jitterMs > 0) await sleep(Math.floor(Math.random() * jitterMs))
  }
  const announce = (): void => {
    if (handling) return
    handling = true
    say('handling')
  }
  const common = {
    topics: [options.input],
    handleSignals: true,
    retry: { initialBackoffMs: 20 },
    onError: (error: unknown) => {
      const { name, message } = error as Error
      say(`error ${name}: ${message.split('\n')[0]}`)
    },
    rebalanceListener: {
      onPartitionsAssigned: () => say('assigned'),
      onPartitionsRevoked: () => say('revoked'),
      onPartitionsLost: () => say('lost'),
    },
  }
  let pool: pg.Pool | undefined
  let producer: Producer | undefined
  try {
    let guarantee: { transactional: { producer: Producer } } | { offsetStore: PostgresOffsetStore }
    let write: (message: ConsumerMessage, transaction: unknown) => Promise<void>
    if (options.form === 'transactional') {
      const txProducer = kafka.producer({ transactionalId: options.transactionalId as string, lingerMs: 0 })
      producer = txProducer
      guarantee = { transactional: { producer: txProducer } }
      write = async (message, transaction) => {
        const value = message.value?.toString() ?? ''
        await (transaction as Producer).send({
          topic: options.output as string,
          value: `${value}@${options.tag}`,
        })
      }
    } else {
      pool = new pg.Pool({ ...postgresConfig(), max: 4 })
      guarantee = { offsetStore: new PostgresOffsetStore({ pool, table: options.offsetsTable }) }
      write = async (message, transaction) => {
        await (transaction as pg.PoolClient).query(
          `INSERT INTO ${options.resultsTable} (topic, partition, "offset", value, written_by)
           VALUES ($1, $2, $3, $4, $5)`,
          [message.topic, message.partition, String(message.offset), message.value?.toString(), options.tag],
        )
      }
    }
    const each = async (message: ConsumerMessage, transaction: unknown): Promise<void> => {
      announce()
      await write(message, transaction)
      await afterWrite(message.value?.toString() ?? '')
    }
    const handle = await consumer.run({
      ...common,
      ...guarantee,
      partitionsConcurrency: options.partitionsConcurrency ?? 1,
      ...(options.handler === 'batch'
        ? {
            eachBatch: async ({ batch, transaction }) => {
              for (const message of batch.messages) await each(message, transaction)
            },
          }
        : { eachMessage: ({ message, transaction }) => each(message, transaction) }),
    })
    try {
      await handle.done
      say('done')
    } catch (error) {
      say(`failed ${(error as Error).name}`)
      process.exitCode = 3
    }
  } finally {
    await producer?.close().catch(() => undefined)
    await pool?.end().catch(() => undefined)
  }
}

if (process.argv[2] !== undefined) await main(JSON.parse(process.argv[2]) as ExactlyOnceMemberOptions)
