import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { kafka, newShareGroup, produceValues, shareTopics, until } from './share-kit.ts'

const topics = shareTopics()
afterAll(() => topics.close())

const fixture = join(import.meta.dirname, 'fixtures', 'share-worker.ts')

interface Worker {
  child: ChildProcess
  exited: Promise<unknown>
}

it('three share workers on one partition, SIGKILLed and replaced 8 times: every record processed, none left', async () => {
  const topic = await topics.create('share-kill')
  const groupId = await newShareGroup(topics)
  const total = 1500
  for (let i = 0; i < total; i += 100) await produceValues(topic, 100, 0, i)
  const printed: string[] = []
  const start = (): Worker => {
    const child = spawn(process.execPath, [fixture, kafkaBootstrap(), groupId, topic], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let rest = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n')
      rest = lines.pop()!
      printed.push(...lines)
    })
    return { child, exited: once(child, 'exit') }
  }
  const workers = [start(), start(), start()]
  const distinct = () => new Set(printed).size
  let kills = 0
  try {
    for (let round = 0; round < 8 && distinct() < total; round++) {
      const before = printed.length
      await until('progress', () => printed.length > before + 50 || distinct() >= total)
      const victim = workers.splice(round % workers.length, 1)[0]!
      victim.child.kill('SIGKILL')
      await victim.exited
      kills++
      workers.push(start())
    }
    await until(`all ${total} records`, () => distinct() >= total, 60_000)
  } finally {
    for (const worker of workers) worker.child.kill('SIGTERM')
    await Promise.all(workers.map((worker) => worker.exited))
  }
  expect(kills).toBeGreaterThan(0)
  // At least once: every record was processed; a killed worker's records in hand were processed again.
  expect(distinct()).toBe(total)
  expect(new Set(printed)).toEqual(new Set(Array.from({ length: total }, (_, i) => `v${i}`)))
  // And every record ended accepted: a fresh member finds nothing.
  const probe = kafka.shareConsumer({ groupId })
  try {
    probe.subscribe([topic])
    const deadline = Date.now() + 2000
    let left = 0
    while (Date.now() < deadline) left += (await probe.poll({ timeoutMs: 250 })).length
    expect(left).toBe(0)
  } finally {
    await probe.close()
  }
  console.log(`share kill test: ${kills} kills, ${printed.length} handler completions for ${total} records`)
}, 120_000)
