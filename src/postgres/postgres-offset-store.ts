/**
 * An {@link OffsetStore} in PostgreSQL, for `run({ offsetStore })`: exactly-once from Kafka into a database
 * without Kafka transactions. One row per group and partition holds the next offset to process and the epoch
 * of the instance that owns the partition; the handler's writes and the offset update share one database
 * transaction. Schema and semantics: docs/postgres-offset-store.md.
 *
 * `pg` is an optional peer dependency: this module only calls the pool you pass in, so nothing loads `pg`
 * unless your application does.
 */

import type { Pool, PoolClient } from 'pg'
import { ConfigError } from '../common/errors.ts'
import type { TopicPartition } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { FencedOffset, OffsetClaim, OffsetStore } from '../processing/offset-store.ts'
import { OffsetStoreFencedError } from '../processing/processing-guarantee.ts'

export interface PostgresOffsetStoreOptions {
  /** The pool the store takes its connections from (also the handler's transaction). */
  pool: Pool
  /** Table holding the offsets, created if missing; default `samsa_offsets`. May be schema-qualified. */
  table?: string
}

const tableName = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/
/** PostgreSQL SQLSTATEs a concurrent CREATE TABLE IF NOT EXISTS can end with although the table exists. */
const UNIQUE_VIOLATION = '23505'
const DUPLICATE_TABLE = '42P07'
/** "type ... already exists": the table's row type, created by the winner a moment earlier. */
const DUPLICATE_OBJECT = '42710'

/** The PostgreSQL offset store; the handler's `transaction` is a `pg` client inside BEGIN. */
export class PostgresOffsetStore implements OffsetStore<PoolClient> {
  readonly table: string
  private readonly pool: Pool
  private created: Promise<void> | undefined

  constructor(options: PostgresOffsetStoreOptions) {
    if (typeof options?.pool?.connect !== 'function') {
      throw new ConfigError('pool', 'expected a pg.Pool')
    }
    const table = options.table ?? 'samsa_offsets'
    if (!tableName.test(table)) {
      throw new ConfigError(
        'table',
        `expected a table name ([schema.]identifier), got ${JSON.stringify(table)}`,
      )
    }
    this.pool = options.pool
    this.table = table
  }

  /** Creates the table if it does not exist (also done before the first claim). */
  createTable(): Promise<void> {
    this.created ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
          group_id text NOT NULL,
          topic text NOT NULL,
          partition integer NOT NULL,
          next_offset bigint,
          epoch bigint NOT NULL,
          PRIMARY KEY (group_id, topic, partition))`,
      )
      .then(
        () => undefined,
        (error: unknown) => {
          // Processes starting together race on IF NOT EXISTS: the loser fails on the catalog's unique index
          // or its row type (or finds the table created meanwhile), and the table is there all the same.
          const code = (error as { code?: unknown }).code
          if (code === UNIQUE_VIOLATION || code === DUPLICATE_TABLE || code === DUPLICATE_OBJECT) return
          this.created = undefined
          throw error
        },
      )
    return this.created
  }

  async claim(groupId: string, partitions: readonly TopicPartition[]): Promise<OffsetClaim[]> {
    await this.createTable()
    // One statement: the row lock orders the claim after any transaction still saving with the old epoch.
    const { rows } = await this.pool.query<{
      topic: string
      partition: number
      next_offset: string | null
      epoch: string
    }>(
      `INSERT INTO ${this.table} AS stored (group_id, topic, partition, next_offset, epoch)
       SELECT $1, t.topic, t.partition, NULL, 1 FROM unnest($2::text[], $3::int[]) AS t(topic, partition)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET epoch = stored.epoch + 1
       RETURNING topic, partition, next_offset, epoch`,
      [groupId, partitions.map((tp) => tp.topic), partitions.map((tp) => tp.partition)],
    )
    // int8 arrives as a string: JavaScript numbers cannot hold every offset.
    return rows.map((row) => ({
      topic: row.topic,
      partition: row.partition,
      offset: row.next_offset === null ? null : BigInt(row.next_offset),
      epoch: Number(row.epoch),
    }))
  }

  async load(groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    await this.createTable()
    const { rows } = await this.pool.query<{ topic: string; partition: number; next_offset: string | null }>(
      `SELECT topic, partition, next_offset FROM ${this.table}
       WHERE group_id = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
      [groupId, partitions.map((tp) => tp.topic), partitions.map((tp) => tp.partition)],
    )
    const stored = new Map<string, bigint>()
    for (const row of rows) {
      if (row.next_offset !== null)
        stored.set(topicPartitionKey(row.topic, row.partition), BigInt(row.next_offset))
    }
    return stored
  }

  async begin(): Promise<PoolClient> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
    } catch (error) {
      client.release(error instanceof Error ? error : true)
      throw error
    }
    return client
  }

  async save(transaction: PoolClient, groupId: string, offsets: readonly FencedOffset[]): Promise<void> {
    for (const { topic, partition, offset, epoch } of offsets) {
      const result = await transaction.query(
        `UPDATE ${this.table} SET next_offset = $4
         WHERE group_id = $1 AND topic = $2 AND partition = $3 AND epoch = $5`,
        [groupId, topic, partition, String(offset), String(epoch)],
      )
      if (result.rowCount !== 1) {
        throw new OffsetStoreFencedError(
          `partition ${topic}-${partition} of group "${groupId}" was claimed by another instance since this one ` +
            `claimed it (epoch ${epoch}): this instance is a zombie; its transaction was rolled back`,
          { topic, partition },
        )
      }
    }
  }

  async commit(transaction: PoolClient): Promise<void> {
    try {
      await transaction.query('COMMIT')
    } finally {
      transaction.release()
    }
  }

  async rollback(transaction: PoolClient): Promise<void> {
    try {
      await transaction.query('ROLLBACK')
      transaction.release()
    } catch (error) {
      // A connection that cannot roll back is not given back to the pool.
      transaction.release(error instanceof Error ? error : true)
      throw error
    }
  }
}
