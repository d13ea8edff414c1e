import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import { type ExactlyOnceMemberOptions, postgresConfig } from './exactly-once-member.ts'
import {
  committedToEnd,
  type Member,
  readAll,
  resultsTableDefinition,
  startMember,
  terminate,
} from './exactly-once-scenarios.ts'

// A zombie here is a real process frozen with SIGSTOP in the middle of a unit (its output already written,
// its commit not yet sent), long enough for the group to evict it and a successor to take its partitions
// and finish the work; then it is woken with SIGCONT and tries to commit.

const bootstrap = kafkaBootstrap()
const kafka = new Kafka({ bootstrap, clientId: 'eos-zombie', logger: false })
const COUNT = 10
const SESSION_TIMEOUT_MS = 6000
const members: Member[] = []

afterAll(async () => {
  for (const member of members) {
    member.child.kill('SIGKILL')
    await member.exited
  }
})

async function topicsWithInputs(): Promise<{ input: string; output: string }> {
  const input = uniqueName('eos-zombie-in')
  const output = uniqueName('eos-zombie-out')
  const admin = kafka.admin()
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 1 },
  ])
  await admin.close()
  const producer = kafka.producer({ lingerMs: 0 })
  await producer.sendBatch(
    Array.from({ length: COUNT }, (_, i) => ({ topic: input, partition: i % 2, value: `m${i}` })),
  )
  await producer.close()
  return { input, output }
}

/** Both members' stdout, for a failure message: what each went through. */
function linesOf(zombie: Member, next: Member): string {
  return `zombie:\n${zombie.lines.join('\n')}\nsuccessor:\n${next.lines.join('\n')}`
}

function start(options: ExactlyOnceMemberOptions): Member {
  const member = startMember({ sessionTimeoutMs: SESSION_TIMEOUT_MS, ...options })
  members.push(member)
  return member
}

/** The member's exit code, or `'still running'` after `timeoutMs`, so a zombie that never stops fails with its lines. */
async function exitWithin(member: Member, timeoutMs: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const running = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), timeoutMs)
  })
  const outcome = await Promise.race([member.exited, running])
  clearTimeout(timer)
  return outcome
}

/**
 * Starts `first`, freezes it while it holds m4's unit open, lets `successor` take over and commit every
 * input, then wakes the zombie. Resolves once the zombie has run on for a while (or ended).
 */
async function zombieThenSuccessor(
  first: Omit<ExactlyOnceMemberOptions, 'holdOn'>,
  successor: ExactlyOnceMemberOptions,
  successorDone: () => Promise<boolean>,
): Promise<{ zombie: Member; next: Member }> {
  const zombie = start({ holdMs: 1000, ...first, holdOn: 'm4' })
  await zombie.waitForLine((line) => line === 'holding m4')
  zombie.child.kill('SIGSTOP')
  const next = start(successor)
  await waitFor('the successor to commit every input', successorDone, 60_000, 200)
  zombie.child.kill('SIGCONT')
  return { zombie, next }
}

describe('run({ transactional }): a zombie frozen mid-transaction never makes its output visible', () => {
  /**
   * A zombie and a successor sharing one transactional id, so the successor's initTransactions() fences the
   * zombie's producer: the zombie must stop with ProducerFencedError (exit 3) and commit nothing. Resolves
   * with the read_committed output once the successor has stopped cleanly.
   */
  async function fencedByEpoch(
    name: string,
    zombieOptions: Partial<ExactlyOnceMemberOptions>,
  ): Promise<{ committed: string[]; zombie: Member; input: string; output: string; groupId: string }> {
    const { input, output } = await topicsWithInputs()
    const groupId = uniqueName(name)
    const common = {
      form: 'transactional',
      bootstrap,
      input,
      output,
      groupId,
      transactionalId: `${groupId}-tx`,
    } as const
    const { zombie, next } = await zombieThenSuccessor(
      { ...common, tag: 'first', ...zombieOptions },
      { ...common, tag: 'next' },
      () => committedToEnd(kafka, groupId, input, 2),
    )
    expect(await exitWithin(zombie, 30_000), linesOf(zombie, next)).toBe(3)
    expect(zombie.lines, linesOf(zombie, next)).toContain('failed ProducerFencedError')
    expect(await terminate(next), next.lines.join('\n')).toBe(0)
    const committed = await readAll(kafka, output, 'read_committed', COUNT)
    expect(committed.map((value) => value.split('@')[0]).sort()).toEqual(
      Array.from({ length: COUNT }, (_, i) => `m${i}`).sort(),
    )
    return { committed, zombie, input, output, groupId }
  }

  it('fenced by the producer epoch: the successor reuses the transactional id; the zombie stops with ProducerFencedError', async () => {
    const { committed, output } = await fencedByEpoch('eos-zombie-epoch', {})
    expect(committed).toContain('m4@next')
    // The zombie's write reached the log, in a transaction that was aborted.
    expect(await readAll(kafka, output, 'read_uncommitted', COUNT + 1)).toContain('m4@first')
  }, 120_000)

  it('fenced by the producer epoch, and told by its heartbeat first that it lost its partitions: its abort is refused, and it still stops with ProducerFencedError', async () => {
    // The zombie aborts before it reaches the commit (its partitions were lost); the abort is what hears it
    // was fenced. Were that swallowed, it would rejoin a group with nothing left to process and never stop.
    const { committed, zombie, input, groupId } = await fencedByEpoch('eos-zombie-epoch-lost', {
      holdAfterWakeMs: 4000,
    })
    expect(zombie.lines.some((line) => line.includes('CommitFailedError'))).toBe(false)
    expect(committed).not.toContain('m4@first')
    expect(await committedToEnd(kafka, groupId, input, 2)).toBe(true)
  }, 120_000)

  it("fenced by the group generation (KIP-447): each instance has its own transactional id; the zombie's offsets are refused and its transaction aborts", async () => {
    const { input, output } = await topicsWithInputs()
    const groupId = uniqueName('eos-zombie-generation')
    const common = { form: 'transactional', bootstrap, input, output, groupId } as const
    const { zombie, next } = await zombieThenSuccessor(
      { ...common, tag: 'first', transactionalId: `${groupId}-first` },
      { ...common, tag: 'next', transactionalId: `${groupId}-next` },
      () => committedToEnd(kafka, groupId, input, 2),
    )
    // The successor's outputs sit behind the zombie's open transaction: read_committed readers see them only
    // once the zombie has aborted it (its transaction timeout, 60 s, is far off).
    const committed = await readAll(kafka, output, 'read_committed', COUNT)
    expect(committed.map((value) => value.split('@')[0]).sort(), linesOf(zombie, next)).toEqual(
      Array.from({ length: COUNT }, (_, i) => `m${i}`).sort(),
    )
    expect(committed).toContain('m4@next')
    expect(await readAll(kafka, output, 'read_uncommitted', COUNT + 1)).toContain('m4@first')
    // Its offsets were refused because it is no longer the member (generation) that owns the partitions.
    expect(
      zombie.lines.some((line) => line.includes('CommitFailedError')),
      zombie.lines.join('\n'),
    ).toBe(true)
    expect(await terminate(zombie), zombie.lines.join('\n')).toBe(0)
    expect(await terminate(next), next.lines.join('\n')).toBe(0)
    expect(await committedToEnd(kafka, groupId, input, 2)).toBe(true)
  }, 120_000)

  it('a zombie that learns it lost its partitions before its unit ends aborts, rather than committing as no generation', async () => {
    // Woken, the zombie's heartbeat hears it is no longer a member (generation -1 from then on) while its
    // handler still holds m4: the coordinator skips the generation check for -1, so only the client can stop
    // those offsets and that output from committing.
    const { input, output } = await topicsWithInputs()
    const groupId = uniqueName('eos-zombie-lost')
    const common = { form: 'transactional', bootstrap, input, output, groupId } as const
    const { zombie, next } = await zombieThenSuccessor(
      { ...common, tag: 'first', transactionalId: `${groupId}-first`, holdAfterWakeMs: 4000 },
      { ...common, tag: 'next', transactionalId: `${groupId}-next` },
      () => committedToEnd(kafka, groupId, input, 2),
    )
    await zombie.waitForLine((line) => line.includes('CommitFailedError'), 15_000)
    // The runner waits for the in-flight unit before it tells the listener, so `lost` follows the rollback.
    await zombie.waitForLine((line) => line === 'lost', 15_000)
    const committed = await readAll(kafka, output, 'read_committed', COUNT)
    expect(committed.map((value) => value.split('@')[0]).sort(), linesOf(zombie, next)).toEqual(
      Array.from({ length: COUNT }, (_, i) => `m${i}`).sort(),
    )
    expect(committed).toContain('m4@next')
    expect(committed).not.toContain('m4@first')
    expect(await terminate(zombie), zombie.lines.join('\n')).toBe(0)
    expect(await terminate(next), next.lines.join('\n')).toBe(0)
    expect(await committedToEnd(kafka, groupId, input, 2)).toBe(true)
  }, 120_000)
})

describe('run({ offsetStore: PostgresOffsetStore }): a zombie frozen mid-transaction never makes its rows visible', () => {
  const pool = new pg.Pool({ ...postgresConfig(), max: 2 })
  afterAll(() => pool.end())

  it('fenced by the partition epoch: the successor claimed the partitions; the zombie stops with OffsetStoreFencedError', async () => {
    const { input } = await topicsWithInputs()
    const groupId = uniqueName('eos-zombie-pg')
    const suffix = groupId.replace(/[^a-z0-9]/g, '_')
    const resultsTable = `eos_zombie_results_${suffix}`
    const offsetsTable = `eos_zombie_offsets_${suffix}`
    await pool.query(resultsTableDefinition(resultsTable))
    try {
      const common = { form: 'postgres', bootstrap, input, groupId, resultsTable, offsetsTable } as const
      const stored = async (): Promise<boolean> => {
        const { rows } = await pool.query<{ total: string | null }>(
          `SELECT sum(next_offset) AS total FROM ${offsetsTable} WHERE group_id = $1`,
          [groupId],
        )
        return Number(rows[0]?.total ?? 0) === COUNT
      }
      const { zombie, next } = await zombieThenSuccessor(
        { ...common, tag: 'first' },
        { ...common, tag: 'next' },
        stored,
      )
      expect(await zombie.exited, zombie.lines.join('\n')).toBe(3)
      expect(zombie.lines).toContain('failed OffsetStoreFencedError')
      expect(await terminate(next), next.lines.join('\n')).toBe(0)
      const { rows } = await pool.query<{ partition: number; offset: string; written_by: string }>(
        `SELECT partition, "offset", written_by FROM ${resultsTable} ORDER BY partition, "offset"`,
      )
      expect(rows.map((row) => `${row.partition}:${row.offset}`)).toEqual(
        [0, 1].flatMap((p) => Array.from({ length: COUNT / 2 }, (_, o) => `${p}:${o}`)),
      )
      // m4 is partition 0, offset 2: the zombie's row rolled back, the successor's is the only one.
      expect(rows.find((row) => row.partition === 0 && row.offset === '2')?.written_by).toBe('next')
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${resultsTable}`)
      await pool.query(`DROP TABLE IF EXISTS ${offsetsTable}`)
    }
  }, 120_000)
})
