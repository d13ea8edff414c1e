/**
 * A broker whose `offset.metadata.max.bytes` is below the 4096 bytes run()'s completed-beyond metadata is sized
 * for: the run falls back to plain commits instead of never committing. Needs a broker of its own (the limit is
 * a static broker config), one node on ports 19980-19981, a range no other test uses.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Kafka } from '../../../src/index.ts'
import { type RunningBroker, startBroker, stopBroker } from '../../../src/rig/index.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const port = 19_980
let stateDir = ''
let rig: RunningBroker

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'samsa-metadata-limit-'))
  rig = await startBroker({
    port,
    stateDir,
    extraConfig: { 'offset.metadata.max.bytes': '32' },
    progress: () => {},
  })
}, 180_000)

afterAll(async () => {
  await stopBroker({ port, stateDir })
  rmSync(stateDir, { recursive: true, force: true })
}, 120_000)

it("ordering 'none' on a broker that allows 32 bytes of commit metadata: plain commits of the contiguous prefix, a warning, no errors", async () => {
  const kafka = new Kafka({ bootstrap: rig.bootstrap, clientId: 'metadata-limit', logger: false })
  const topic = uniqueName('metadata-limit')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 1 }])
  await admin.close()
  const producer = kafka.producer()
  await producer.sendBatch(Array.from({ length: 40 }, (_, i) => ({ topic, partition: 0, value: `m${i}` })))
  await producer.close()
  const tp = { topic, partition: 0 }

  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const warnings: string[] = []
  const errors: unknown[] = []
  const handled: number[] = []
  const consumer = new Kafka({
    bootstrap: rig.bootstrap,
    clientId: 'metadata-limit',
    logger: { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} },
  }).consumer({ groupId: uniqueName('metadata-limit'), enableAutoCommit: false, autoOffsetReset: 'earliest' })
  const handle = await consumer.run({
    topics: [topic],
    ordering: 'none',
    maxInFlightPerPartition: 40,
    commit: { everyMs: 100 },
    onError: (error) => errors.push(error),
    eachMessage: async ({ message }) => {
      const offset = Number(message.offset)
      // Offsets 0 and 1 finish; every odd offset from 3 on hangs, so the even ones beyond are isolated
      // completions whose metadata (about 40 characters) the broker refuses.
      if (offset >= 3 && offset % 2 === 1) await released
      handled.push(offset)
    },
  })
  try {
    await waitFor('the contiguous prefix committed while the rest waits', async () => {
      const [committed] = await consumer.committed([tp])
      return committed?.offset === 3n && handled.length === 2 + 19
    })
    const [committed] = await consumer.committed([tp])
    expect(committed?.metadata ?? '').toBe('')
    release()
    await waitFor('the partition committed to its end', async () => {
      const [end] = await consumer.committed([tp])
      return end?.offset === 40n
    })
  } finally {
    release()
    await handle.stop()
  }
  expect(errors).toEqual([])
  expect(warnings.filter((w) => w.includes('offset.metadata.max.bytes'))).toHaveLength(1)
}, 60_000)
