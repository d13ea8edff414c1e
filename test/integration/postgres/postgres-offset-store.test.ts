import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { OffsetStoreFencedError, PostgresOffsetStore } from '../../../src/postgres/index.ts'
import { OffsetStoreGuarantee } from '../../../src/processing/guarantees.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

// PostgreSQL: 127.0.0.1:5432, database test (PG* variables override). Unreachable means failure, not a skip.
const pool = new pg.Pool({
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
})
const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'pg-offset-store', logger: false })
const resultsTable = 'samsa_offset_store_results'
const store = new PostgresOffsetStore({ pool })

afterAll(async () => {
  await pool.end()
})

async function setup(count: number, partitions: number): Promise<string> {
  const topic = uniqueName('pg-offset-store')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions }])
  await admin.close()
  const producer = kafka.producer({ lingerMs: 5 })
  await producer.sendBatch(
    Array.from({ length: count }, (_, i) => ({ topic, partition: i % partitions, value: `m${i}` })),
  )
  await producer.close()
  await createResults()
  return topic
}

async function createResults(): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${resultsTable} (
    topic text NOT NULL, partition integer NOT NULL, "offset" bigint NOT NULL, value text NOT NULL,
    PRIMARY KEY (topic, partition, "offset"))`)
}

async function resultRows(topic: string): Promise<string[]> {
  const { rows } = await pool.query<{ value: string }>(`SELECT value FROM ${resultsTable} WHERE topic = $1`, [
    topic,
  ])
  return rows.map((row) => row.value).sort()
}

describe.each([
  ['eachMessage', 'classic'],
  ['eachBatch', 'classic'],
  ['eachMessage', 'consumer'],
] as const)('run({ offsetStore }) with %s, %s group protocol', (form, groupProtocol) => {
  it('stores each result exactly once with its offset, through failures that roll back and re-seek', async () => {
    const count = 60
    const topic = await setup(count, 2)
    const groupId = uniqueName('pg-offset-store')
    const failed = new Set<string>()
    const write = async (
      client: pg.PoolClient,
      message: { topic: string; partition: number; offset: bigint; value: Buffer | null },
    ) => {
      await client.query(`INSERT INTO ${resultsTable} VALUES ($1, $2, $3, $4)`, [
        message.topic,
        message.partition,
        String(message.offset),
        message.value?.toString(),
      ])
      // Every 7th record fails once, after its row was written: the rollback must take the row back and the
      // run must re-seek, or the records polled after it would be lost.
      const id = message.value?.toString() ?? ''
      if (Number(id.slice(1)) % 7 === 3 && !failed.has(id)) {
        failed.add(id)
        throw new Error(`failing ${id} once`)
      }
    }
    const consumer = kafka.consumer({
      groupId,
      groupProtocol,
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
      maxPollRecords: 10,
    })
    const handle = await consumer.run({
      topics: [topic],
      offsetStore: store,
      retry: { initialBackoffMs: 10 },
      onError: () => {},
      ...(form === 'eachMessage'
        ? { eachMessage: ({ message, transaction }) => write(transaction as pg.PoolClient, message) }
        : {
            eachBatch: async ({ batch, transaction }) => {
              for (const message of batch.messages) await write(transaction as pg.PoolClient, message)
            },
          }),
    })
    try {
      await waitFor('every result stored', async () => (await resultRows(topic)).length >= count, 30_000)
    } finally {
      await handle.stop()
    }
    expect(failed.size).toBeGreaterThan(0)
    const rows = await resultRows(topic)
    expect(rows).toEqual(Array.from({ length: count }, (_, i) => `m${i}`).sort())
    const stored = await store.load(groupId, [
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    expect([...stored.values()]).toEqual([BigInt(count / 2), BigInt(count / 2)])
  })
})

it('a zombie (an instance whose partition was claimed by another since) is fenced and its writes roll back', async () => {
  const topic = uniqueName('pg-zombie')
  await createResults()
  const groupId = uniqueName('pg-zombie')
  const tp = { topic, partition: 0 }
  const zombie = new OffsetStoreGuarantee(store, groupId)
  const successor = new OffsetStoreGuarantee(store, groupId)
  expect((await zombie.positions([tp])).get(`${topic}:0`) ?? null).toBeNull()
  await zombie.execute([{ ...tp, offset: 1n }], async (tx) => {
    await (tx as pg.PoolClient).query(`INSERT INTO ${resultsTable} VALUES ($1, 0, 0, 'zombie-0')`, [topic])
  })
  expect(await successor.positions([tp])).toEqual(new Map([[`${topic}:0`, 1n]]))
  const failure = await zombie
    .execute([{ ...tp, offset: 2n }], async (tx) => {
      await (tx as pg.PoolClient).query(`INSERT INTO ${resultsTable} VALUES ($1, 0, 1, 'zombie-1')`, [topic])
    })
    .then(
      () => null,
      (error: unknown) => error,
    )
  expect(failure).toBeInstanceOf(OffsetStoreFencedError)
  expect(zombie.isFatal(failure)).toBe(true)
  await successor.execute([{ ...tp, offset: 2n }], async (tx) => {
    await (tx as pg.PoolClient).query(`INSERT INTO ${resultsTable} VALUES ($1, 0, 1, 'successor-1')`, [topic])
  })
  expect(await resultRows(topic)).toEqual(['successor-1', 'zombie-0'])
  expect(await store.load(groupId, [tp])).toEqual(new Map([[`${topic}:0`, 2n]]))
})

it('partitionsConcurrency: 4 partitions in 4 database transactions at the same time; each result stored once with its offset', async () => {
  const count = 60
  const topic = await setup(count, 4)
  const groupId = uniqueName('pg-concurrent')
  const failed = new Set<string>()
  let running = 0
  let mostAtOnce = 0
  const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const handle = await consumer.run({
    topics: [topic],
    offsetStore: store,
    partitionsConcurrency: 4,
    retry: { initialBackoffMs: 10 },
    onError: () => {},
    eachMessage: async ({ message, transaction }) => {
      running++
      mostAtOnce = Math.max(mostAtOnce, running)
      try {
        const id = message.value?.toString() ?? ''
        await (transaction as pg.PoolClient).query(`INSERT INTO ${resultsTable} VALUES ($1, $2, $3, $4)`, [
          message.topic,
          message.partition,
          String(message.offset),
          id,
        ])
        await new Promise((resolve) => setTimeout(resolve, 10))
        if (Number(id.slice(1)) % 7 === 3 && !failed.has(id)) {
          failed.add(id)
          throw new Error(`failing ${id} once`)
        }
      } finally {
        running--
      }
    },
  })
  try {
    await waitFor('every result stored', async () => (await resultRows(topic)).length >= count, 30_000)
  } finally {
    await handle.stop()
  }
  expect(failed.size).toBeGreaterThan(0)
  expect(mostAtOnce).toBeGreaterThan(1)
  expect(await resultRows(topic)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`).sort())
  const stored = await store.load(
    groupId,
    [0, 1, 2, 3].map((partition) => ({ topic, partition })),
  )
  expect([...stored.values()]).toEqual([15n, 15n, 15n, 15n])
})

it.each(['eachMessage', 'eachBatch'] as const)(
  '%s: a message that keeps failing is dead-lettered and its offset stored; the rest of its batch commits',
  async (form) => {
    const topic = await setup(6, 2)
    const deadLetters = uniqueName('pg-dlt')
    const admin = kafka.admin()
    await admin.createTopics([{ topic: deadLetters, partitions: 1 }])
    await admin.close()
    const groupId = uniqueName('pg-dlt')
    const letterProducer = kafka.producer({ lingerMs: 0 })
    const write = async (
      client: pg.PoolClient,
      message: { partition: number; offset: bigint; value: Buffer | null },
    ) => {
      await client.query(`INSERT INTO ${resultsTable} VALUES ($1, $2, $3, $4)`, [
        topic,
        message.partition,
        String(message.offset),
        message.value?.toString(),
      ])
      if (message.value?.toString() === 'm2') throw new Error('poison')
    }
    const consumer = kafka.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' })
    const handle = await consumer.run({
      topics: [topic],
      offsetStore: store,
      retry: { attempts: 2, initialBackoffMs: 10, onExhausted: 'dead-letter' },
      deadLetter: { topic: deadLetters, producer: letterProducer },
      onError: () => {},
      ...(form === 'eachMessage'
        ? { eachMessage: ({ message, transaction }) => write(transaction as pg.PoolClient, message) }
        : {
            eachBatch: async ({ batch, transaction }) => {
              for (const message of batch.messages) await write(transaction as pg.PoolClient, message)
            },
          }),
    })
    const partitions = [0, 1].map((partition) => ({ topic, partition }))
    try {
      await waitFor('every offset stored', async () => {
        const stored = await store.load(groupId, partitions)
        return stored.get(`${topic}:0`) === 3n && stored.get(`${topic}:1`) === 3n
      })
    } finally {
      await handle.stop()
      await letterProducer.close()
    }
    // m2's row rolled back with every try; its dead letter is the only trace of it.
    expect(await resultRows(topic)).toEqual(['m0', 'm1', 'm3', 'm4', 'm5'])
    const reader = kafka.consumer({ autoOffsetReset: 'earliest' })
    reader.assign([{ topic: deadLetters, partition: 0 }])
    const letters: string[] = []
    try {
      await waitFor('the dead letter', async () => {
        for (const message of await reader.poll({ timeoutMs: 200 }))
          letters.push(message.value?.toString() ?? '')
        return letters.length >= 1
      })
    } finally {
      await reader.close()
    }
    expect(letters).toEqual(['m2'])
  },
)

it('members starting together each create the offsets table: every createTable() resolves, whoever loses the race', async () => {
  // Found by the chaos suite: concurrent CREATE TABLE IF NOT EXISTS of one new table lets all but one fail on
  // the catalog's unique index (pg_type), which left the loser's partitions without a position.
  const table = `samsa_offsets_race_${uniqueName('t').replace(/[^a-z0-9]/g, '_')}`
  const pools = Array.from({ length: 8 }, () => new pg.Pool({ ...pool.options, max: 1 }))
  try {
    for (let round = 0; round < 5; round++) {
      const name = `${table}_${round}`
      const outcomes = await Promise.allSettled(
        pools.map((each) => new PostgresOffsetStore({ pool: each, table: name }).createTable()),
      )
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([])
      const { rows } = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
        name,
      ])
      expect(rows[0]?.exists).toBe(true)
      await pool.query(`DROP TABLE ${name}`)
    }
  } finally {
    await Promise.all(pools.map((each) => each.end()))
  }
})
