import { describe, expect, it } from 'vitest'
import { consumerGroupDescribe } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

interface JsonRecord {
  partition: number
  offset: string
  value: string | null
}

/** A topic holding values 1..`count`, keyed so that every partition gets some. */
async function topicWithLines(partitions: number, count: number): Promise<string> {
  const topic = uniqueName('cli-groups')
  const created = await runSamsa(['topics', 'create', topic, '--partitions', String(partitions)])
  expect(created.code, created.stderr).toBe(0)
  const lines = Array.from({ length: count }, (_, i) => `key-${i}:${i + 1}`).join('\n')
  const produced = await runSamsa(['produce', topic, '--key-separator', ':'], { input: `${lines}\n` })
  expect(produced.code, produced.stderr).toBe(0)
  return topic
}

async function consumeInGroup(topic: string, group: string, count: number): Promise<JsonRecord[]> {
  const result = await runSamsa([
    'consume',
    topic,
    '--group',
    group,
    '--commit',
    'sync',
    '--from-beginning',
    '--count',
    String(count),
    '--format',
    'json',
  ])
  expect(result.code, result.stderr).toBe(0)
  return outputLines(result).map((line) => JSON.parse(line) as JsonRecord)
}

async function javaOffsets(group: string): Promise<Map<number, bigint | null>> {
  const rows = await consumerGroupDescribe({ bootstrap: kafkaBootstrap(), group })
  return new Map(rows.map((row) => [row.partition, row.currentOffset]))
}

describe('samsa consume --group', () => {
  it('run twice with --commit sync continues where the first run stopped: nothing repeated, nothing skipped', async () => {
    const topic = await topicWithLines(3, 60)
    const group = uniqueName('cli-group')
    const first = await consumeInGroup(topic, group, 25)
    const second = await consumeInGroup(topic, group, 35)
    expect(first).toHaveLength(25)
    expect(second).toHaveLength(35)
    const values = [...first, ...second].map((record) => Number(record.value)).sort((a, b) => a - b)
    expect(values).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))

    // Everything printed was committed: the group has no lag left.
    const rows = await consumerGroupDescribe({ bootstrap: kafkaBootstrap(), group })
    expect(rows).toHaveLength(3)
    for (const row of rows) expect(row.lag).toBe(0n)
  })

  it('commits only printed records with --commit auto, and nothing with --commit none', async () => {
    const topic = await topicWithLines(1, 10)
    const auto = uniqueName('cli-auto')
    const printed = await runSamsa(['consume', topic, '--group', auto, '--from-beginning', '--count', '4'])
    expect(printed.code, printed.stderr).toBe(0)
    expect(outputLines(printed)).toEqual(['1', '2', '3', '4'])
    expect(await javaOffsets(auto)).toEqual(new Map([[0, 4n]]))

    const none = uniqueName('cli-none')
    const unc = await runSamsa([
      'consume',
      topic,
      '-g',
      none,
      '--commit',
      'none',
      '--from-beginning',
      '-n',
      '4',
    ])
    expect(unc.code, unc.stderr).toBe(0)
    const again = await runSamsa([
      'consume',
      topic,
      '-g',
      none,
      '--commit',
      'none',
      '--from-beginning',
      '-n',
      '2',
    ])
    expect(outputLines(again)).toEqual(['1', '2'])
  })

  it.each([
    [['--offset', '3'], '--offset'],
    [['--timestamp', '0'], '--timestamp'],
    [['--partition', '0'], '--partition'],
  ])('rejects %j with --group, saying why', async (flags, named) => {
    const result = await runSamsa(['consume', 'any-topic', '--group', 'g', ...flags])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(named)
    expect(result.stderr).toContain('--group')
  })

  it('rejects --commit without --group and an unknown commit mode', async () => {
    const without = await runSamsa(['consume', 'any-topic', '--commit', 'sync'])
    expect(without.code).toBe(1)
    expect(without.stderr).toContain('--commit')
    const bad = await runSamsa(['consume', 'any-topic', '--group', 'g', '--commit', 'often'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('often')
  })
})

describe('samsa groups', () => {
  it('lists, describes, resets (dry run, then --execute) and deletes a group', async () => {
    const topic = await topicWithLines(2, 20)
    const group = uniqueName('cli-admin')
    await consumeInGroup(topic, group, 20)

    const listed = await runSamsa(['groups', 'list'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(outputLines(listed)[0]).toMatch(/^GROUP\s+TYPE\s+STATE$/)
    expect(outputLines(listed).find((line) => line.startsWith(`${group} `))).toMatch(/classic\s+Empty$/)
    const listedJson = await runSamsa(['groups', 'list', '--format', 'json'])
    expect(JSON.parse(listedJson.stdout.toString())).toContainEqual({
      groupId: group,
      type: 'classic',
      protocolType: 'consumer',
      state: 'Empty',
    })

    const java = await consumerGroupDescribe({ bootstrap: kafkaBootstrap(), group })
    const described = await runSamsa(['groups', 'describe', group])
    expect(described.code, described.stderr).toBe(0)
    const [header, ...rows] = outputLines(described)
    expect(header).toMatch(/^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\b/)
    expect(rows.map((row) => row.split(/\s+/).slice(0, 5))).toEqual(
      java.map((row) => [
        row.topic,
        String(row.partition),
        `${row.currentOffset}`,
        `${row.logEndOffset}`,
        `${row.lag}`,
      ]),
    )
    const describedJson = JSON.parse(
      (await runSamsa(['groups', 'describe', group, '--format', 'json'])).stdout.toString(),
    )
    expect(describedJson).toMatchObject({ groupId: group, type: 'classic', state: 'Empty', members: [] })
    expect(describedJson.offsets.map((row: { lag: string }) => row.lag)).toEqual(['0', '0'])

    const plan = await runSamsa(['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest'])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stderr).toContain('--execute')
    expect(outputLines(plan)[0]).toMatch(/^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+NEW-OFFSET$/)
    expect(
      outputLines(plan)
        .slice(1)
        .map((row) => row.split(/\s+/).at(-1)),
    ).toEqual(['0', '0'])
    expect([...(await javaOffsets(group)).values()].every((offset) => offset !== null && offset > 0n)).toBe(
      true,
    )

    const executed = await runSamsa([
      'groups',
      'reset-offsets',
      group,
      '--topic',
      topic,
      '--to-offset',
      '1',
      '--execute',
    ])
    expect(executed.code, executed.stderr).toBe(0)
    expect(await javaOffsets(group)).toEqual(
      new Map([
        [0, 1n],
        [1, 1n],
      ]),
    )
    const shifted = await runSamsa([
      'groups',
      'reset-offsets',
      group,
      '--topic',
      topic,
      '--shift-by',
      '2',
      '--execute',
      '--format',
      'json',
    ])
    expect(JSON.parse(shifted.stdout.toString())).toMatchObject({ groupId: group, dryRun: false })
    expect(await javaOffsets(group)).toEqual(
      new Map([
        [0, 3n],
        [1, 3n],
      ]),
    )
    const dated = await runSamsa([
      'groups',
      'reset-offsets',
      group,
      '--topic',
      topic,
      '--to-datetime',
      '2000-01-01T00:00:00Z',
      '--execute',
    ])
    expect(dated.code, dated.stderr).toBe(0)
    expect(await javaOffsets(group)).toEqual(
      new Map([
        [0, 0n],
        [1, 0n],
      ]),
    )
    const latest = await runSamsa([
      'groups',
      'reset-offsets',
      group,
      '--topic',
      topic,
      '--to-latest',
      '--execute',
    ])
    expect(latest.code, latest.stderr).toBe(0)
    expect([...(await javaOffsets(group)).values()].reduce((sum, offset) => sum! + offset!, 0n)).toBe(20n)

    const deleted = await runSamsa(['groups', 'delete', group])
    expect(deleted.code, deleted.stderr).toBe(0)
    const gone = await runSamsa(['groups', 'describe', group])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain(`group "${group}" does not exist`)
  })

  it.each([
    [['groups', 'reset-offsets', 'g', '--topic', 't'], '--to-earliest'],
    [['groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest', '--to-latest'], '--to-latest'],
    [['groups', 'reset-offsets', 'g', '--to-earliest'], '--topic'],
    [['groups', 'reset-offsets', 'g', '--topic', 't', '--to-offset', '-1'], '--to-offset'],
    [['groups', 'reset-offsets', 'g', '--topic', 't', '--shift-by', 'x'], '--shift-by'],
    [['groups', 'describe', 'g', '--format', 'xml'], '--format'],
    [['groups', 'list', '--colour'], '--colour'],
  ])('%j exits 1 naming %s', async (args, named) => {
    const result = await runSamsa(args)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(named)
    expect(result.stdout.length).toBe(0)
  })

  it('--help exits 0 and lists the subcommands and reset targets', async () => {
    const help = await runSamsa(['groups', '--help'])
    expect(help.code).toBe(0)
    for (const command of ['list', 'describe', 'reset-offsets', 'delete'])
      expect(help.stdout.toString()).toContain(command)
    const resetHelp = await runSamsa(['groups', 'reset-offsets', '--help'])
    expect(resetHelp.code).toBe(0)
    for (const flag of [
      '--to-earliest',
      '--to-latest',
      '--to-offset',
      '--to-datetime',
      '--shift-by',
      '--execute',
    ]) {
      expect(resetHelp.stdout.toString()).toContain(flag)
    }
  })
})
