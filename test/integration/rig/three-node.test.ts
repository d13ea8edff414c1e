import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  brokerStatus,
  probeApiVersions,
  type RunningBroker,
  startBroker,
  stopBroker,
} from '../../../src/rig/index.ts'
import { createTopicWithJava, getOffsetShell, producerPerformance } from '../../../src/testing/java-tools.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'

// 19900..19905: clear of every other test's rig (see broker-rig.test.ts and rig-reuse.test.ts).
const port = 19_900
let stateDir = ''
let starting: Promise<RunningBroker> | undefined

describe('broker rig, three nodes', () => {
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'samsa-rig3-'))
  })
  afterAll(async () => {
    // A test that timed out does not cancel the start: wait for it, or its JVMs come up after this stop.
    await starting?.catch(() => {})
    await stopBroker({ port, stateDir, gracefulTimeoutMs: 10_000 })
    rmSync(stateDir, { recursive: true, force: true })
  }, 240_000)

  it('forms a 3-voter cluster that takes replication factor 3, then stops every node', async () => {
    // Three JVMs starting at once on a loaded 2-core CI machine: give them minutes, not the default 90 s.
    starting = startBroker({ nodes: 3, port, stateDir, progress: () => {}, startTimeoutMs: 180_000 })
    const cluster = await starting
    expect(cluster.reused).toBe(false)
    expect(cluster.bootstrap).toBe(`127.0.0.1:${port},127.0.0.1:${port + 2},127.0.0.1:${port + 4}`)
    expect(cluster.nodes.map((node) => node.controllerPort)).toEqual([port + 1, port + 3, port + 5])

    const status = await brokerStatus({ port, stateDir })
    expect(status.state).toBe('running')
    expect(status.nodes.every((node) => node.alive && node.answersApiVersions)).toBe(true)

    const topic = uniqueName('rig-rf3')
    await createTopicWithJava({ bootstrap: cluster.bootstrap, topic, partitions: 3, replicationFactor: 3 })
    const summary = await producerPerformance({
      bootstrap: cluster.bootstrap,
      topic,
      numRecords: 90,
      recordSize: 32,
      producerProps: { acks: 'all' },
    })
    expect(summary.records).toBe(90)
    const endOffsets = await getOffsetShell({ bootstrap: cluster.bootstrap, topic })
    expect([...endOffsets.values()].reduce((sum, offset) => sum + offset, 0n)).toBe(90n)

    const stopped = await stopBroker({ port, stateDir })
    expect(stopped.stopped.sort()).toEqual([...cluster.pids].sort())
    for (const node of cluster.nodes) {
      expect((await probeApiVersions('127.0.0.1', node.brokerPort, 500)).kind).toBe('closed')
    }
    expect((await brokerStatus({ port, stateDir })).state).toBe('stopped')
  }, 420_000)
})
