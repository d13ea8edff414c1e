import { describe, expect, it } from 'vitest'
import { consoleShareConsume, shareGroupOffsets } from '../../../src/testing/java-share-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

/** A two-partition topic holding values 1..`count`, keyed so that both partitions get some. */
async function topicWithLines(count: number): Promise<string> {
  const topic = uniqueName('cli-share')
  const created = await runSamsa(['topics', 'create', topic, '--partitions', '2'])
  expect(created.code, created.stderr).toBe(0)
  const lines = Array.from({ length: count }, (_, i) => `key-${i}:${i + 1}`).join('\n')
  const produced = await runSamsa(['produce', topic, '--key-separator', ':'], { input: `${lines}\n` })
  expect(produced.code, produced.stderr).toBe(0)
  return topic
}

async function samsaOk(args: string[]): Promise<{ stdout: string; stderr: string; lines: string[] }> {
  const result = await runSamsa(['share-groups', ...args])
  expect(result.code, result.stderr).toBe(0)
  return { stdout: result.stdout.toString(), stderr: result.stderr, lines: outputLines(result) }
}

/** The START-OFFSET and LAG columns per partition, as Kafka's tool reports them. */
async function javaOffsets(group: string): Promise<string[][]> {
  const rows = await shareGroupOffsets(kafkaBootstrap(), group)
  return rows.map((row) => [String(row.partition), `${row.startOffset ?? '-'}`, `${row.lag ?? '-'}`])
}

describe('samsa share-groups', () => {
  it('sets the config, lists, describes, resets (dry run, then --execute), deletes offsets and the group', async () => {
    const topic = await topicWithLines(20)
    const group = uniqueName('cli-share-group')

    // Configured before the group exists, so its first member starts at the log start.
    const set = await samsaOk(['config', group, '--set', 'share.auto.offset.reset=earliest'])
    expect(set.lines.find((line) => line.startsWith('share.auto.offset.reset '))).toMatch(/earliest\s+group$/)
    const values = await consoleShareConsume({ bootstrap: kafkaBootstrap(), topic, group, maxMessages: 20 })
    expect(values.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))

    const listed = await samsaOk(['list'])
    expect(listed.lines[0]).toMatch(/^GROUP\s+STATE$/)
    expect(listed.lines.find((line) => line.startsWith(`${group} `))).toMatch(/\sEmpty$/)
    const stable = await samsaOk(['list', '--state', 'Stable', '--format', 'json'])
    expect(JSON.parse(stable.stdout).map((entry: { groupId: string }) => entry.groupId)).not.toContain(group)

    const described = await samsaOk(['describe', group])
    expect(described.stderr).toContain(`share group "${group}" is Empty with 0 members`)
    expect(described.stderr).toContain('share.auto.offset.reset=earliest')
    const [header, ...rows] = described.lines
    expect(header).toMatch(/^TOPIC\s+PARTITION\s+LEADER-EPOCH\s+START-OFFSET\s+LAG$/)
    const ours = rows.map((row) => row.split(/\s+/))
    expect(ours.map((columns) => columns[0])).toEqual([topic, topic])
    const java = await javaOffsets(group)
    expect(ours.map((columns) => [columns[1], columns[3], columns[4]])).toEqual(java)
    expect(java.map((row) => row[2])).toEqual(['0', '0'])
    const json = JSON.parse((await samsaOk(['describe', group, '--format', 'json'])).stdout)
    expect(json).toMatchObject({ groupId: group, state: 'Empty', members: [], assignor: 'simple' })
    expect(json.config['share.auto.offset.reset']).toBe('earliest')
    expect(json.offsets.map((row: { lag: string }) => row.lag)).toEqual(['0', '0'])

    const plan = await samsaOk(['reset-offsets', group, '--topic', topic, '--to-earliest'])
    expect(plan.stderr).toContain('--execute')
    expect(plan.lines[0]).toMatch(/^TOPIC\s+PARTITION\s+START-OFFSET\s+NEW-OFFSET$/)
    expect(plan.lines.slice(1).map((row) => row.split(/\s+/).at(-1))).toEqual(['0', '0'])
    expect(await javaOffsets(group)).toEqual(java)

    await samsaOk(['reset-offsets', group, '--topic', topic, '--to-offset', '2', '-p', '1', '--execute'])
    const afterOffset = await javaOffsets(group)
    expect(afterOffset[1]?.slice(0, 2)).toEqual(['1', '2'])
    const executed = await samsaOk([
      'reset-offsets',
      group,
      '--topic',
      topic,
      '--to-datetime',
      '2000-01-01T00:00:00Z',
      '--execute',
      '--format',
      'json',
    ])
    expect(JSON.parse(executed.stdout)).toMatchObject({ groupId: group, dryRun: false })
    // Everything is available again: the lags add up to the whole topic.
    const reset = await javaOffsets(group)
    expect(reset.map((row) => row[1])).toEqual(['0', '0'])
    expect(reset.reduce((sum, row) => sum + Number(row[2]), 0)).toBe(20)

    // --all-topics: the topics the group has start offsets for (here the one), planned like --topic.
    const everything = await samsaOk([
      'reset-offsets',
      group,
      '--all-topics',
      '--to-latest',
      '--format',
      'json',
    ])
    const planned = JSON.parse(everything.stdout) as {
      dryRun: boolean
      resets: { topic: string; newOffset: string }[]
    }
    expect(planned.dryRun).toBe(true)
    expect(planned.resets.map((reset) => reset.topic)).toEqual([topic, topic])
    expect(planned.resets.reduce((sum, reset) => sum + Number(reset.newOffset), 0)).toBe(20)

    await samsaOk(['delete-offsets', group, '--topic', topic])
    expect(await javaOffsets(group)).toEqual([])
    await samsaOk(['delete', group])
    const gone = await runSamsa(['share-groups', 'describe', group])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain('GROUP_ID_NOT_FOUND')
    await samsaOk(['config', group, '--delete', 'share.auto.offset.reset'])
    // About 20 CLI runs and 6 JVMs; on a loaded 2-core runner each takes seconds.
  }, 240_000)

  it.each([
    [['share-groups', 'reset-offsets', 'g', '--topic', 't'], '--to-earliest'],
    [['share-groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest', '--to-latest'], '--to-latest'],
    [['share-groups', 'reset-offsets', 'g', '--to-earliest'], '--topic'],
    [['share-groups', 'reset-offsets', 'g', '--all-topics', '--topic', 't', '--to-earliest'], '--all-topics'],
    [['share-groups', 'reset-offsets', 'g', '--topic', 't', '--to-offset', '-1'], '--to-offset'],
    [['share-groups', 'reset-offsets', 'g', '--topic', 't', '--shift-by', '1'], '--shift-by'],
    [['share-groups', 'describe', 'g', '--format', 'xml'], '--format'],
    [['share-groups', 'list', '--state'], '--state'],
    [['share-groups', 'delete-offsets', 'g'], '--topic'],
    [['share-groups', 'config', 'g', '--set', 'novalue'], '--set'],
    [['share-groups', 'list', '--colour'], '--colour'],
  ])('%j exits 1 naming %s', async (args, named) => {
    const result = await runSamsa(args)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(named)
    expect(result.stdout.length).toBe(0)
  })

  it('--help exits 0 and lists the subcommands and reset targets', async () => {
    const help = await runSamsa(['share-groups', '--help'])
    expect(help.code).toBe(0)
    for (const command of ['list', 'describe', 'reset-offsets', 'delete-offsets', 'delete', 'config'])
      expect(help.stdout.toString()).toContain(command)
    const resetHelp = await runSamsa(['share-groups', 'reset-offsets', '--help'])
    expect(resetHelp.code).toBe(0)
    for (const flag of ['--to-earliest', '--to-latest', '--to-offset', '--to-datetime', '--execute']) {
      expect(resetHelp.stdout.toString()).toContain(flag)
    }
  })
})
