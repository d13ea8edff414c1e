import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { brokerStatus, probeApiVersions, startBroker, stopBroker } from '../../../src/rig/index.ts'
import { createTopicWithJava, getOffsetShell, producerPerformance } from '../../../src/testing/java-tools.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'

// Three JVMs on a 2-core machine take a while; run with SAMSA_SLOW_TESTS=1.
const slow = process.env.SAMSA_SLOW_TESTS === '1'
const port = 19_900
let stateDir = ''

describe.runIf(slow)('broker rig, three nodes', () => {
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'samsa-rig3-'))
  })
  afterAll(async () => {
    await stopBroker({ port, stateDir })
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('forms a 3-voter cluster that takes replication factor 3, then stops every node', async () => {
    const cluster = await startBroker({ nodes: 3, port, stateDir, progress: () => {} })
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
  })
})

describe.skipIf(slow)('broker rig, three nodes (skipped)', () => {
  it.skip('needs SAMSA_SLOW_TESTS=1', () => {})
})
