import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import type { ConsumerMessage } from '../src/consumer/message.ts'
import { Kafka } from '../src/kafka.ts'
import { OffsetStoreFencedError, PostgresOffsetStore } from '../src/postgres/index.ts'
import {
  createResultsTable,
  OFFSETS_TABLE,
  poolConfig,
  RESULTS_TABLE,
  startWorker,
  uppercase,
} from './exactly-once-postgres.ts'
import { bootstrapAddress, topicWithRecords, uniqueName } from './example-support.ts'

const script = fileURLToPath(new URL('./exactly-once-postgres.ts', import.meta.url))
// PostgreSQL must be reachable: an unreachable database fails each of these tests (no beforeAll, whose
// failure would report them as skipped).
const db = new pg.Pool(poolConfig())

afterAll(async () => {
  await db.end()
})

/** Waits for `condition`, failing with `what` after `timeoutMs` instead of hanging the test. */
async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 40_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

/** Runs the example as a process of its own; resolves with the signal that ended it (null for an exit). */
function runScript(args: string[]): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
  return new Promise((resolve) => child.once('close', (_code, signal) => resolve(signal)))
}

async function resultCount(topic: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${RESULTS_TABLE} WHERE topic = $1`,
    [topic],
  )
  return Number(rows[0]?.n)
}

/** The stored next offsets of `topic` for `groupId`, by partition. */
async function storedOffsets(topic: string, groupId: string): Promise<Map<number, bigint>> {
  const { rows } = await db.query<{ partition: number; next_offset: string | null }>(
    `SELECT partition, next_offset FROM ${OFFSETS_TABLE} WHERE group_id = $1 AND topic = $2`,
    [groupId, topic],
  )
  return new Map(rows.map((row) => [row.partition, BigInt(row.next_offset ?? 0)]))
}

/** Each partition's results are exactly offsets 0..next-1 of its stored next offset. */
async function expectResultsMatchOffsets(topic: string, groupId: string): Promise<number> {
  const stored = await storedOffsets(topic, groupId)
  const { rows } = await db.query<{ partition: number; offset: string }>(
    `SELECT partition, "offset" FROM ${RESULTS_TABLE} WHERE topic = $1 ORDER BY partition, "offset"`,
    [topic],
  )
  const expected = [...stored.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([partition, next]) =>
      Array.from({ length: Number(next) }, (_, offset) => `${partition}@${offset}`),
    )
  expect(rows.map((row) => `${row.partition}@${row.offset}`)).toEqual(expected)
  return rows.length
}

/**
 * The end state exactly-once promises: one result per input record (the unique key makes two impossible,
 * the count makes none impossible), and a stored offset per partition at the log end.
 */
async function expectExactlyOnce(topic: string, groupId: string, count: number): Promise<void> {
  const kafka = new Kafka({ bootstrap: [bootstrapAddress()], logger: false })
  const admin = kafka.admin()
  const logEnds = await admin.listOffsets(topic)
  await admin.close()

  expect(await expectResultsMatchOffsets(topic, groupId)).toBe(count)
  const results = await db.query<{ result: string }>(`SELECT result FROM ${RESULTS_TABLE} WHERE topic = $1`, [
    topic,
  ])
  expect(new Set(results.rows.map((row) => row.result))).toEqual(
    new Set(Array.from({ length: count }, (_, i) => `RECORD-${i}`)),
  )
  expect(await storedOffsets(topic, groupId)).toEqual(
    new Map(logEnds.map(({ partition, latest }) => [partition, latest])),
  )

  // Kafka's own committed offsets were never written.
  const consumer = kafka.consumer({ groupId, enableAutoCommit: false })
  const committed = await consumer.committed(logEnds.map(({ partition }) => ({ topic, partition })))
  await consumer.close()
  expect(committed.map((c) => c.offset)).toEqual(logEnds.map(() => null))
}

/** Runs an in-process worker (the crashed one's instance id) until every record has its result. */
async function finish(
  topic: string,
  groupId: string,
  count: number,
  transactions: 'per-message' | 'per-batch',
) {
  const handle = await startWorker({ db, topic, groupId, transactions, instanceId: `${groupId}-worker` })
  try {
    await until(`${count} results`, async () => (await resultCount(topic)) >= count)
  } finally {
    await handle.stop()
  }
}

describe('Dekaf: save the result and the offset in one database transaction, run({ offsetStore })', () => {
  it('per message: two workers killed after a write, before its COMMIT; the restart stores every record once', async () => {
    const topic = uniqueName('eo-pg')
    const groupId = uniqueName('eo-pg-group')
    const count = 60
    await createResultsTable(db)
    await topicWithRecords(topic, 3, count)

    // Worker 1 dies with its 20th result written and uncommitted: that transaction rolls back.
    expect(await runScript([topic, groupId, '--crash-after', '19'])).toBe('SIGKILL')
    expect(await expectResultsMatchOffsets(topic, groupId)).toBe(19)
    // Worker 2 resumes from the stored offsets and dies the same way after 15 more.
    expect(await runScript([topic, groupId, '--crash-after', '15'])).toBe('SIGKILL')
    expect(await expectResultsMatchOffsets(topic, groupId)).toBe(34)

    await finish(topic, groupId, count, 'per-message')
    await expectExactlyOnce(topic, groupId, count)
  })

  it('per batch: a worker killed mid-batch rolls the whole batch back; the restart redoes exactly that', async () => {
    const topic = uniqueName('eo-pg-batch')
    const groupId = uniqueName('eo-pg-batch-group')
    const count = 80
    await createResultsTable(db)
    await topicWithRecords(topic, 2, count)

    expect(await runScript([topic, groupId, '--batch', '--crash-after', '50'])).toBe('SIGKILL')
    // Whole batches committed before the kill, none of the batch it was in.
    const committed = await expectResultsMatchOffsets(topic, groupId)
    expect(committed).toBeLessThanOrEqual(50)

    await finish(topic, groupId, count, 'per-batch')
    await expectExactlyOnce(topic, groupId, count)
  })

  it('rebalances: a second member joins midway and the first leaves midway; still one result per record', async () => {
    const topic = uniqueName('eo-pg-rebalance')
    const groupId = uniqueName('eo-pg-rebalance-group')
    const count = 200
    await createResultsTable(db)
    await topicWithRecords(topic, 4, count)
    // Slow enough that both rebalances happen while records are still being processed.
    const slowly = async (message: ConsumerMessage): Promise<string> => {
      await sleep(30)
      return uppercase(message)
    }
    const first = await startWorker({ db, topic, groupId, transactions: 'per-message', transform: slowly })
    let second: Awaited<ReturnType<typeof startWorker>> | undefined
    try {
      await until('20 results', async () => (await resultCount(topic)) >= 20)
      second = await startWorker({ db, topic, groupId, transactions: 'per-message', transform: slowly })
      await until('120 results', async () => (await resultCount(topic)) >= 120)
      await first.stop()
      await until(`${count} results`, async () => (await resultCount(topic)) >= count)
    } finally {
      await first.stop()
      await second?.stop()
    }
    await expectExactlyOnce(topic, groupId, count)
  }, 120_000)

  it('a zombie is fenced: once another instance claimed its partition, its next commit is refused and rolled back', async () => {
    const topic = uniqueName('eo-pg-fence')
    const groupId = uniqueName('eo-pg-fence-group')
    await createResultsTable(db)
    await topicWithRecords(topic, 1, 30)
    const slowly = async (message: ConsumerMessage): Promise<string> => {
      await sleep(50)
      return uppercase(message)
    }
    const handle = await startWorker({ db, topic, groupId, transactions: 'per-message', transform: slowly })
    await until('5 results', async () => (await resultCount(topic)) >= 5)
    // Another instance claims the partition behind the worker's back (as a new owner would on assignment).
    await new PostgresOffsetStore({ pool: db, table: OFFSETS_TABLE }).claim(groupId, [
      { topic, partition: 0 },
    ])
    const outcome = await handle.done.then(
      () => null,
      (error: unknown) => error,
    )
    expect(outcome).toBeInstanceOf(OffsetStoreFencedError)
    // Nothing after the claim committed: the results still match the stored offset exactly.
    const stored = await expectResultsMatchOffsets(topic, groupId)
    expect(stored).toBeGreaterThanOrEqual(5)
    expect(stored).toBeLessThan(30)
  })
})
