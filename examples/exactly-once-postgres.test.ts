import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConsumerMessage } from '../src/consumer/message.ts'
import { Kafka } from '../src/kafka.ts'
import {
  createTables,
  databaseUrl,
  OFFSETS_TABLE,
  RESULTS_TABLE,
  runWorker,
  uppercase,
  type WorkerOptions,
  type WorkerReport,
} from './exactly-once-postgres.ts'
import { bootstrapAddress, topicWithRecords, uniqueName } from './example-support.ts'

const db = new pg.Pool({ connectionString: databaseUrl() })

beforeAll(async () => {
  await createTables(db)
})

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

/** Runs a worker until `done()` holds (checked against the database) or it crashes. */
async function workUntil(
  options: Omit<WorkerOptions, 'db' | 'signal'>,
  done: () => Promise<boolean>,
): Promise<WorkerReport> {
  const stop = new AbortController()
  const worker = runWorker({ ...options, db, signal: stop.signal })
  let finished = false
  const markFinished = (): void => {
    finished = true
  }
  worker.then(markFinished, markFinished)
  try {
    await until('the worker to crash or finish', async () => finished || (await done()))
  } finally {
    // Also on a timeout: a worker left running would hold its database connection past the test.
    stop.abort()
  }
  return worker
}

async function resultCount(topic: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${RESULTS_TABLE} WHERE topic = $1`,
    [topic],
  )
  return Number(rows[0]?.n)
}

/**
 * The end state exactly-once promises: one result per input record (the unique key makes two impossible,
 * the count makes none impossible), and a stored offset per partition at the log end.
 */
async function expectExactlyOnce(topic: string, groupId: string, count: number): Promise<void> {
  const kafka = new Kafka({ bootstrap: [bootstrapAddress()] })
  const admin = kafka.admin()
  const logEnds = await admin.listOffsets(topic)
  await admin.close()

  const results = await db.query<{ partition: number; offset: string; result: string }>(
    `SELECT partition, "offset", result FROM ${RESULTS_TABLE} WHERE topic = $1 ORDER BY partition, "offset"`,
    [topic],
  )
  const expected = logEnds.flatMap(({ partition, latest }) =>
    Array.from({ length: Number(latest) }, (_, offset) => `${partition}@${offset}`),
  )
  expect(expected).toHaveLength(count)
  expect(results.rows.map((row) => `${row.partition}@${row.offset}`)).toEqual(expected)
  expect(new Set(results.rows.map((row) => row.result))).toEqual(
    new Set(Array.from({ length: count }, (_, i) => `RECORD-${i}`)),
  )

  const stored = await db.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${OFFSETS_TABLE} WHERE group_id = $1 AND topic = $2 ORDER BY partition`,
    [groupId, topic],
  )
  expect(stored.rows.map((row) => ({ partition: row.partition, next: BigInt(row.next_offset) }))).toEqual(
    logEnds.map(({ partition, latest }) => ({ partition, next: latest })),
  )

  // Kafka's own committed offsets were never written.
  const consumer = kafka.consumer({ groupId, enableAutoCommit: false })
  const committed = await consumer.committed(logEnds.map(({ partition }) => ({ topic, partition })))
  await consumer.close()
  expect(committed.map((c) => c.offset)).toEqual(logEnds.map(() => null))
}

function values(...reports: WorkerReport[]): string[] {
  return reports.flatMap((report) => report.committed)
}

describe('Dekaf: save the result and the offset in one database transaction (PostgreSQL)', () => {
  it('per message: a crash before COMMIT and one right after it; the restarts store every record once', async () => {
    const topic = uniqueName('eo-pg')
    const groupId = uniqueName('eo-pg-group')
    const count = 60
    await topicWithRecords(topic, 3, count)
    const all = async (): Promise<boolean> => (await resultCount(topic)) === count

    // Worker 1 dies after the INSERT of its 20th record, before COMMIT: that transaction rolls back.
    const first = await workUntil(
      { topic, groupId, transactions: 'per-message', crash: { onRecord: 20, at: 'before-commit' } },
      all,
    )
    expect(first.crashed).toBe(true)
    expect(first.committed).toHaveLength(19)
    expect(await resultCount(topic)).toBe(19)

    // Worker 2 dies right after committing its 15th record: nothing after it, and it is not redone.
    const second = await workUntil(
      { topic, groupId, transactions: 'per-message', crash: { onRecord: 15, at: 'after-commit' } },
      all,
    )
    expect(second.crashed).toBe(true)
    expect(second.committed).toHaveLength(15)
    expect(await resultCount(topic)).toBe(34)

    const third = await workUntil({ topic, groupId, transactions: 'per-message' }, all)
    expect(third.crashed).toBe(false)
    expect(third.committed).toHaveLength(count - 34)

    for (const report of [first, second, third]) expect(report).toMatchObject({ fenced: 0, duplicates: 0 })
    // Each input value was committed by exactly one worker.
    expect(values(first, second, third).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `record-${i}`).sort(),
    )
    await expectExactlyOnce(topic, groupId, count)
  })

  it('per batch: a crash before COMMIT rolls the whole batch back; the restart redoes exactly that', async () => {
    const topic = uniqueName('eo-pg-batch')
    const groupId = uniqueName('eo-pg-batch-group')
    const count = 80
    await topicWithRecords(topic, 2, count)
    const all = async (): Promise<boolean> => (await resultCount(topic)) === count

    // Batches of 20: two commit, the third (records 41 to 60 of this worker) rolls back as a whole.
    const first = await workUntil(
      {
        topic,
        groupId,
        transactions: 'per-batch',
        maxPollRecords: 20,
        crash: { onRecord: 50, at: 'before-commit' },
      },
      all,
    )
    expect(first.crashed).toBe(true)
    expect(first.committed).toHaveLength(40)
    expect(await resultCount(topic)).toBe(40)

    const second = await workUntil({ topic, groupId, transactions: 'per-batch', maxPollRecords: 20 }, all)
    expect(second.committed).toHaveLength(count - first.committed.length)
    for (const report of [first, second]) expect(report).toMatchObject({ fenced: 0, duplicates: 0 })
    expect(values(first, second).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `record-${i}`).sort(),
    )
    await expectExactlyOnce(topic, groupId, count)
  })

  it('rebalances: a second member joins midway and the first leaves midway; still one result per record', async () => {
    const topic = uniqueName('eo-pg-rebalance')
    const groupId = uniqueName('eo-pg-rebalance-group')
    const count = 200
    await topicWithRecords(topic, 4, count)
    // Slow enough that both rebalances happen while records are still being processed.
    const slowly = async (message: ConsumerMessage): Promise<string> => {
      await sleep(30)
      return uppercase(message)
    }

    const stopFirst = new AbortController()
    const stopSecond = new AbortController()
    let firstCommitted = 0
    const first = runWorker({
      db,
      topic,
      groupId,
      transactions: 'per-message',
      transform: slowly,
      signal: stopFirst.signal,
      onCommitted: (messages) => {
        firstCommitted += messages.length
      },
    })
    let second: Promise<WorkerReport> | undefined
    try {
      await until('the first member to commit 20 records', () => firstCommitted >= 20)
      second = runWorker({
        db,
        topic,
        groupId,
        transactions: 'per-message',
        transform: slowly,
        signal: stopSecond.signal,
      })
      await until('120 results', async () => (await resultCount(topic)) >= 120)
      stopFirst.abort()
      await first
      await until(`${count} results`, async () => (await resultCount(topic)) >= count)
    } finally {
      stopFirst.abort()
      stopSecond.abort()
    }
    const firstReport = await first
    const secondReport = await second

    expect(secondReport.committed.length).toBeGreaterThan(0)
    expect(firstReport.committed.length).toBeGreaterThan(20)
    for (const report of [firstReport, secondReport]) expect(report.duplicates).toBe(0)
    expect(values(firstReport, secondReport).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `record-${i}`).sort(),
    )
    await expectExactlyOnce(topic, groupId, count)
  }, 120_000)

  it('a zombie is fenced: when another member stored a later offset, the worker resumes from it', async () => {
    const topic = uniqueName('eo-pg-fence')
    const groupId = uniqueName('eo-pg-fence-group')
    const count = 30
    await topicWithRecords(topic, 1, count)
    let committed = 0
    const slowly = async (message: ConsumerMessage): Promise<string> => {
      await sleep(50)
      return uppercase(message)
    }
    const stop = new AbortController()
    const worker = runWorker({
      db,
      topic,
      groupId,
      transactions: 'per-message',
      transform: slowly,
      signal: stop.signal,
      onCommitted: (messages) => {
        committed += messages.length
      },
    })
    let takenOver = 0n
    try {
      await until('the worker to commit 5 records', () => committed >= 5)
      // Another member, by the same protocol, processes everything up to offset 20 behind the worker's back.
      const other = await db.connect()
      try {
        await other.query('BEGIN')
        const { rows } = await other.query<{ next_offset: string }>(
          `SELECT next_offset FROM ${OFFSETS_TABLE} WHERE group_id = $1 AND topic = $2 AND partition = 0 FOR UPDATE`,
          [groupId, topic],
        )
        takenOver = BigInt(rows[0]?.next_offset ?? '0')
        await other.query(
          `INSERT INTO ${RESULTS_TABLE} (topic, partition, "offset", result)
           SELECT $1, 0, o, 'RECORD-' || o FROM generate_series($2::bigint, 19) AS o`,
          [topic, String(takenOver)],
        )
        await other.query(`UPDATE ${OFFSETS_TABLE} SET next_offset = 20 WHERE group_id = $1 AND topic = $2`, [
          groupId,
          topic,
        ])
        await other.query('COMMIT')
      } finally {
        other.release()
      }
      await until(`${count} results`, async () => (await resultCount(topic)) >= count)
    } finally {
      stop.abort()
    }
    const report = await worker

    expect(takenOver).toBeLessThan(20n)
    expect(report.fenced).toBe(1)
    expect(report.duplicates).toBe(0)
    // The worker did everything but what the other member took over.
    expect(report.committed).toHaveLength(count - (20 - Number(takenOver)))
    await expectExactlyOnce(topic, groupId, count)
  })
})
