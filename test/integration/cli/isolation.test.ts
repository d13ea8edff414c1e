import { afterAll, expect, it } from 'vitest'
import { Producer } from '../../../src/producer/producer.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

const topics = new TestTopics('cli-isolation-test')
afterAll(() => topics.close())

it('consume --isolation read_committed hides aborted records; the default read_uncommitted prints them', async () => {
  const topic = await topics.create('cli-isolation')
  const producer = new Producer(topics.cluster, { transactionalId: uniqueName('cli-isolation'), lingerMs: 0 })
  try {
    await producer.initTransactions()
    for (const [value, commit] of [
      ['committed-1', true],
      ['aborted', false],
      ['committed-2', true],
    ] as const) {
      producer.beginTransaction()
      await producer.send({ topic, value })
      if (commit) await producer.commitTransaction()
      else await producer.abortTransaction()
    }
  } finally {
    await producer.close()
  }
  const read = async (extra: string[]) => {
    const result = await runSamsa([
      'consume',
      topic,
      '--from-beginning',
      '--count',
      '3',
      '--timeout-ms',
      '3000',
      ...extra,
    ])
    expect(result.code, result.stderr).toBe(0)
    return outputLines(result)
  }
  expect(await read(['--isolation', 'read_committed'])).toEqual(['committed-1', 'committed-2'])
  expect(await read([])).toEqual(['committed-1', 'aborted', 'committed-2'])
  const bad = await runSamsa(['consume', topic, '--isolation', 'serializable'])
  expect(bad.code).toBe(1)
  expect(bad.stderr).toMatch(/--isolation.*serializable/)
})
