import { describe, expect, it } from 'vitest'
import { GeneratedValues } from '../../../src/cli/data/generated-records.ts'
import { consoleConsumer, producerPerformance } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

describe('samsa produce/consume with the Java tools', () => {
  it('writes records the Java console consumer reads back intact', async () => {
    const topic = uniqueName('cli-to-java')
    expect((await runSamsa(['topics', 'create', topic, '--partitions', '2'])).code).toBe(0)
    const produced = await runSamsa([
      'produce',
      topic,
      '--count',
      '500',
      '--size',
      '40',
      '--compression',
      'gzip',
    ])
    expect(produced.code, produced.stderr).toBe(0)

    const records = await consoleConsumer({ bootstrap: kafkaBootstrap(), topic, maxMessages: 500 })
    expect(records).toHaveLength(500)
    const values = new GeneratedValues(40)
    const keys = new Set<string>()
    for (const record of records) {
      const index = Number(record.key?.slice(4))
      expect(record.value).toBe(values.valueOf(index).toString('latin1'))
      keys.add(record.key!)
    }
    expect(keys.size).toBe(500)
  }, 120_000)

  it('reads records written by the Java producer', async () => {
    const topic = uniqueName('java-to-cli')
    expect((await runSamsa(['topics', 'create', topic, '--partitions', '3'])).code).toBe(0)
    await producerPerformance({
      bootstrap: kafkaBootstrap(),
      topic,
      numRecords: 3000,
      recordSize: 64,
      producerProps: { 'compression.type': 'lz4', 'linger.ms': 5 },
    })
    const consumed = await runSamsa([
      'consume',
      topic,
      '--from-beginning',
      '--count',
      '3000',
      '--format',
      'json',
    ])
    expect(consumed.code, consumed.stderr).toBe(0)
    const records = outputLines(consumed).map(
      (line) => JSON.parse(line) as { partition: number; offset: string; value: string },
    )
    expect(records).toHaveLength(3000)
    const unique = new Set(records.map((record) => `${record.partition}:${record.offset}`))
    expect(unique.size).toBe(3000)
    for (const record of records) expect(Buffer.byteLength(record.value, 'utf8')).toBe(64)
  }, 120_000)
})
