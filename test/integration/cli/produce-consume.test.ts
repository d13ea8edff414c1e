import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { GeneratedValues } from '../../../src/cli/data/generated-records.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

interface JsonRecord {
  topic: string
  partition: number
  offset: string
  timestamp: number
  key: string | null
  value: string | null
  headers: Array<{ key: string; value: string | null }>
}

async function createTopic(partitions: number): Promise<string> {
  const topic = uniqueName('cli-data')
  const result = await runSamsa(['topics', 'create', topic, '--partitions', String(partitions)])
  expect(result.code, result.stderr).toBe(0)
  return topic
}

function jsonRecords(stdout: Buffer): JsonRecord[] {
  return outputLines({ code: 0, stdout, stderr: '' }).map((line) => JSON.parse(line) as JsonRecord)
}

describe('samsa produce and consume', () => {
  it('move 100,000 generated records through the broker with none lost or duplicated', async () => {
    const topic = await createTopic(3)
    const count = 100_000
    const produced = await runSamsa(['produce', topic, '--count', String(count), '--size', '100'], {
      timeoutMs: 240_000,
    })
    expect(produced.code, produced.stderr).toBe(0)
    expect(produced.stdout.length).toBe(0)
    expect(produced.stderr).toMatch(new RegExp(`^samsa: produced ${count} records \\(\\d+ bytes\\)`))

    const consumed = await runSamsa(
      ['consume', topic, '--from-beginning', '--count', String(count), '--format', 'json'],
      { timeoutMs: 240_000 },
    )
    expect(consumed.code, consumed.stderr).toBe(0)
    const records = jsonRecords(consumed.stdout)
    expect(records).toHaveLength(count)

    const values = new GeneratedValues(100)
    const seen = new Set<string>()
    const nextOffset = new Map<number, bigint>()
    for (const record of records) {
      expect(record.key).toMatch(/^key-\d+$/)
      const index = Number(record.key!.slice(4))
      expect(record.value).toBe(values.valueOf(index).toString('latin1'))
      seen.add(record.key!)
      // Within a partition offsets arrive in order with no gaps.
      const offset = BigInt(record.offset)
      expect(offset).toBe(nextOffset.get(record.partition) ?? 0n)
      nextOffset.set(record.partition, offset + 1n)
    }
    expect(seen.size).toBe(count)
    for (let index = 0; index < count; index += 9_973) expect(seen.has(`key-${index}`)).toBe(true)
    expect(seen.has(`key-${count - 1}`)).toBe(true)
  }, 300_000)

  it('round-trips stdin lines exactly, including empty lines and unicode', async () => {
    const topic = await createTopic(1)
    const lines = ['hello', '', 'ünïcödé ✓ 😀 日本語', 'tab\there', '', 'last']
    const input = `${lines.join('\n')}\n`
    const produced = await runSamsa(['produce', topic], { input })
    expect(produced.code, produced.stderr).toBe(0)
    expect(produced.stderr).toMatch(/produced 6 records/)

    const consumed = await runSamsa(['consume', topic, '--from-beginning', '--count', String(lines.length)])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.toString('utf8')).toBe(input)
  })

  it('splits keys from values with --key-separator and prints them as JSON', async () => {
    const topic = await createTopic(1)
    const produced = await runSamsa(['produce', topic, '--key-separator', '=', '--format', 'json'], {
      input: 'a=1\nb=2=3\nno-key\n',
    })
    expect(produced.code, produced.stderr).toBe(0)
    expect(JSON.parse(produced.stdout.toString())).toMatchObject({ topic, records: 3, failed: 0 })

    const consumed = await runSamsa([
      'consume',
      topic,
      '--from-beginning',
      '--count',
      '3',
      '--format',
      'json',
    ])
    expect(jsonRecords(consumed.stdout).map((record) => [record.key, record.value, record.offset])).toEqual([
      ['a', '1', '0'],
      ['b', '2=3', '1'],
      [null, 'no-key', '2'],
    ])
    const base64 = await runSamsa([
      'consume',
      topic,
      '--from-beginning',
      '--count',
      '1',
      '--format',
      'json',
      '--encoding',
      'base64',
    ])
    expect(jsonRecords(base64.stdout)[0]).toMatchObject({ key: 'YQ==', value: 'MQ==' })
  })

  it('starts at --offset in every partition read, and --partition limits the read', async () => {
    const topic = await createTopic(2)
    expect(
      (await runSamsa(['produce', topic, '--count', '10', '--size', '8', '--partition', '1'])).code,
    ).toBe(0)
    const consumed = await runSamsa(['consume', topic, '--offset', '7', '--count', '3', '--format', 'json'])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(
      jsonRecords(consumed.stdout).map((record) => [record.partition, record.offset, record.key]),
    ).toEqual([
      [1, '7', 'key-7'],
      [1, '8', 'key-8'],
      [1, '9', 'key-9'],
    ])
    const onlyEmpty = await runSamsa([
      'consume',
      topic,
      '--partition',
      '0',
      '--from-beginning',
      '--timeout-ms',
      '1500',
    ])
    expect(onlyEmpty.code, onlyEmpty.stderr).toBe(0)
    expect(onlyEmpty.stdout.length).toBe(0)
  })

  it('starts at the first record at or after --timestamp, given as ms or ISO-8601', async () => {
    const topic = await createTopic(1)
    expect((await runSamsa(['produce', topic], { input: 'old-1\nold-2\n' })).code).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const boundary = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await runSamsa(['produce', topic], { input: 'new-1\nnew-2\n' })).code).toBe(0)

    for (const at of [String(boundary), new Date(boundary).toISOString()]) {
      const consumed = await runSamsa(['consume', topic, '--timestamp', at, '--count', '2'])
      expect(consumed.code, consumed.stderr).toBe(0)
      expect(outputLines(consumed)).toEqual(['new-1', 'new-2'])
    }
  })

  it('exits 0 after --timeout-ms without records, and on SIGINT', async () => {
    const topic = await createTopic(1)
    expect((await runSamsa(['produce', topic], { input: 'x\ny\n' })).code).toBe(0)
    const idle = await runSamsa(['consume', topic, '--from-beginning', '--timeout-ms', '1500'])
    expect(idle.code, idle.stderr).toBe(0)
    expect(outputLines(idle)).toEqual(['x', 'y'])

    const child = spawn(
      `${process.cwd()}/node_modules/.bin/node`,
      ['bin/samsa.js', 'consume', topic, '--from-beginning'],
      { env: { ...process.env, KAFKA_BOOTSTRAP: kafkaBootstrap() }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout === 'x\ny\n') resolve()
      })
    })
    child.kill('SIGINT')
    expect(await exited, stderr).toBe(0)
    expect(stdout).toBe('x\ny\n')
  })

  it('exits quietly when the reader of stdout goes away', async () => {
    const topic = await createTopic(1)
    expect((await runSamsa(['produce', topic, '--count', '2000', '--size', '10'])).code).toBe(0)
    const shell = spawn(
      'bash',
      [
        '-c',
        'set -o pipefail; node_modules/.bin/node bin/samsa.js consume "$0" --from-beginning | head -n 3',
        topic,
      ],
      { env: { ...process.env, KAFKA_BOOTSTRAP: kafkaBootstrap() } },
    )
    let stdout = ''
    let stderr = ''
    shell.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    shell.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => shell.on('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.split('\n').filter((line) => line !== '')).toHaveLength(3)
  })

  it('rejects bad flags and unknown topics with exit code 1 and a message naming them', async () => {
    const topic = await createTopic(1)
    const cases: Array<[string[], RegExp]> = [
      [['consume', topic, '--count', 'abc'], /--count.*abc/],
      [['consume', topic, '--offset', '-5'], /--offset.*-5/],
      [['consume', topic, '--timestamp', 'yesterday'], /--timestamp.*yesterday/],
      [
        ['consume', topic, '--from-beginning', '--offset', '3'],
        /--from-beginning.*--offset|--offset.*--from-beginning/,
      ],
      [['consume', topic, '--format', 'xml'], /--format.*xml/],
      [['consume', topic, '--partition', '5', '--timeout-ms', '100'], /--partition.*5/],
      [['consume', topic, '--bogus'], /unknown option '--bogus'/],
      [['produce', topic, '--count', '0'], /--count.*0/],
      [['produce', topic, '--acks', '2'], /--acks.*2/],
      [['produce', topic, '--size', '10'], /--size needs --count/],
      [['produce', topic, '--compression', 'brotli'], /--compression.*brotli/],
      [['consume', topic, '--bootstrap', 'no-port', '--count', '1'], /--bootstrap.*no-port/],
    ]
    for (const [args, message] of cases) {
      const result = await runSamsa(args)
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr, args.join(' ')).toMatch(/^samsa: /)
      expect(result.stderr, args.join(' ')).toMatch(message)
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /)
    }
    const missing = uniqueName('cli-missing')
    for (const args of [
      ['consume', missing, '--count', '1'],
      ['produce', missing, '--count', '1'],
    ]) {
      const result = await runSamsa(args)
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr).toMatch(new RegExp(`^samsa: UNKNOWN_TOPIC_OR_PARTITION.*${missing}`))
    }
  })

  it('prints --help for every command and exits 0', async () => {
    for (const command of [
      [],
      ['topics'],
      ['topics', 'create'],
      ['topics', 'list'],
      ['topics', 'describe'],
      ['topics', 'delete'],
      ['produce'],
      ['consume'],
    ]) {
      const result = await runSamsa([...command, '--help'])
      expect(result.code, command.join(' ')).toBe(0)
      expect(result.stdout.toString()).toMatch(/^Usage: samsa/)
    }
  })
})
