import { afterAll, expect, it } from 'vitest'
import { newShareGroup, produceValues, shareTopics } from '../share/share-kit.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

const topics = shareTopics()
afterAll(() => topics.close())

interface Line {
  value: string
  deliveryCount: number
}

it('consume --share-group: --ack release hands records out again, reject archives them, accept finishes them', async () => {
  const topic = await topics.create('cli-share')
  const group = await newShareGroup(topics)
  await produceValues(topic, 6)
  const consume = async (ack: string, extra: string[]): Promise<Line[]> => {
    const result = await runSamsa([
      'consume',
      topic,
      '--share-group',
      group,
      '--ack',
      ack,
      '--format',
      'json',
      ...extra,
    ])
    expect(result.code, result.stderr).toBe(0)
    return outputLines(result).map((line) => JSON.parse(line) as Line)
  }
  const all = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5']

  const released = await consume('release', ['--count', '6'])
  expect(released.map((line) => line.value).sort()).toEqual(all)
  expect(released.every((line) => line.deliveryCount === 1)).toBe(true)

  const rejected = await consume('reject', ['--count', '2'])
  expect(rejected).toHaveLength(2)
  expect(rejected.every((line) => line.deliveryCount === 2)).toBe(true)

  const accepted = await consume('accept', ['--count', '4'])
  expect(accepted.map((line) => line.value).sort()).toEqual(
    all.filter((value) => !rejected.some((line) => line.value === value)),
  )
  expect(accepted.every((line) => line.deliveryCount >= 2)).toBe(true)

  // Nothing is left: the rejected never come back, the accepted are done.
  expect(await consume('accept', ['--timeout-ms', '2000'])).toEqual([])
})

it('consume --share-group refuses the flags that position a partition', async () => {
  const result = await runSamsa(['consume', 'any-topic', '--share-group', 'g', '--from-beginning'])
  expect(result.code).toBe(1)
  expect(result.stderr).toMatch(/--from-beginning.*--share-group/)
  const ackAlone = await runSamsa(['consume', 'any-topic', '--ack', 'reject'])
  expect(ackAlone.code).toBe(1)
  expect(ackAlone.stderr).toMatch(/--ack.*only applies with --share-group/)
})

it('consume --share-group --count acquires no more than it prints, so skipped records keep their delivery count', async () => {
  const topic = await topics.create('cli-share-count')
  const group = await newShareGroup(topics)
  // One produce request: the ten records share a batch, which the broker would otherwise hand out whole.
  await produceValues(topic, 10)
  const consume = async (ack: string, count: number): Promise<Line[]> => {
    const result = await runSamsa([
      'consume',
      topic,
      '--share-group',
      group,
      '--ack',
      ack,
      '--count',
      String(count),
      '--format',
      'json',
    ])
    expect(result.code, result.stderr).toBe(0)
    return outputLines(result).map((line) => JSON.parse(line) as Line)
  }
  const released = await consume('release', 4)
  const rejected = await consume('reject', 2)
  const accepted = await consume('accept', 8)
  expect([...rejected, ...accepted].map((line) => line.value).sort()).toEqual(
    Array.from({ length: 10 }, (_, i) => `v${i}`).sort(),
  )
  // Printed and released: delivered twice; never printed before: delivered once, however many runs passed.
  for (const line of [...rejected, ...accepted]) {
    const releasedBefore = released.some((earlier) => earlier.value === line.value)
    expect(line.deliveryCount, line.value).toBe(releasedBefore ? 2 : 1)
  }
})
