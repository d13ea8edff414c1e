import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Consumer } from '../../../src/consumer/consumer.ts'
import { Kafka } from '../../../src/kafka.ts'
import {
  consumerGroupDescribe,
  createTopicWithJava,
  getOffsetShell,
} from '../../../src/testing/java-tools.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { OwnRig } from '../../../src/testing/own-rig.ts'
import { duplicates, missing, produceKeyed, type RecordId, recordId, waitUntil } from './integrity-kit.ts'

// 19910..19915: three brokers and their controllers, a range no other test uses (the
// rig's own tests take 19000..19871 and 19900..19905).
const port = 19_910
const PARTITIONS = 3
const BEFORE = 3000
const AFTER = 3000

describe('leader failover in a 3-node cluster (RF=3)', () => {
  let rig: OwnRig | undefined
  beforeAll(async () => {
    rig = new OwnRig(port, 3)
    await rig.start()
  }, 300_000)
  afterAll(async () => {
    await rig?.stop()
  }, 300_000)

  it('loses no record, keeps consuming after the leader dies, and keeps committed offsets right', async () => {
    const cluster = rig!.broker!
    const bootstrap = cluster.bootstrap
    const topic = uniqueName('integrity-failover')
    const group = uniqueName('g-integrity-failover')
    await createTopicWithJava({
      bootstrap,
      topic,
      partitions: PARTITIONS,
      replicationFactor: 3,
      config: { 'min.insync.replicas': 2 },
    })

    const consumer: Consumer = new Kafka({ bootstrap }).consumer({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    })
    const seen: RecordId[] = []
    const commitFailures: unknown[] = []
    consumer.subscribe([topic])
    let polling = true
    const loop = (async () => {
      while (polling) {
        const messages = await consumer.poll({ timeoutMs: 200 })
        for (const m of messages) seen.push(recordId(m.partition, m.offset))
        // A commit may fail while the coordinator moves; the next batch's commit covers it.
        if (messages.length > 0) await consumer.commit().catch((error: unknown) => commitFailures.push(error))
      }
    })()

    const state = () =>
      `seen ${seen.length}, assigned ${JSON.stringify(consumer.assignment())}, member ${JSON.stringify(consumer.groupMetadata())}, commit failures ${commitFailures.map(String).join('; ')}`
    try {
      // A fresh cluster creates __consumer_offsets on the first group: slow with three JVMs on two cores.
      await waitUntil(
        'the consumer to join',
        () => consumer.assignment().length === PARTITIONS,
        180_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${state()}`)
      })
      const produced = await produceKeyed(bootstrap, topic, BEFORE)
      await waitUntil(
        'the records before the failover',
        () => missing(produced, seen).length === 0,
        90_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${state()}`)
      })

      const admin = new Kafka({ bootstrap }).admin()
      const [before] = await admin.describeTopics([topic]).finally(() => admin.close())
      const victim = before!.partitions[0]!.leader
      const node = cluster.nodes.find((n) => n.nodeId === victim)!
      const epochBefore = before!.partitions[0]!.leaderEpoch
      process.kill(node.pid, 'SIGKILL')

      for (const id of await produceKeyed(bootstrap, topic, AFTER, BEFORE)) produced.add(id)
      await waitUntil(
        'the records after the failover',
        () => missing(produced, seen).length === 0,
        120_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${state()}`)
      })
      polling = false
      await loop

      expect(missing(produced, seen)).toEqual([])
      expect([...duplicates(seen)]).toEqual([])

      // Partition 0 has a new leader, in a later epoch.
      const survivors = cluster.nodes.filter((n) => n.nodeId !== victim)
      const survivorBootstrap = survivors.map((n) => `127.0.0.1:${n.brokerPort}`).join(',')
      const admin2 = new Kafka({ bootstrap: survivorBootstrap }).admin()
      const [after] = await admin2.describeTopics([topic]).finally(() => admin2.close())
      expect(after!.partitions[0]!.leader).not.toBe(victim)
      expect(after!.partitions[0]!.leaderEpoch).toBeGreaterThan(epochBefore)

      // The last commit covered everything consumed, and carries the epoch of the leader that served it.
      await consumer.commit()
      const endOffsets = await getOffsetShell({ bootstrap: survivorBootstrap, topic })
      const committed = await consumer.committed(
        Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })),
      )
      for (const c of committed) {
        expect({ partition: c.partition, offset: c.offset }).toEqual({
          partition: c.partition,
          offset: endOffsets.get(c.partition),
        })
        expect(c.leaderEpoch).toBeGreaterThanOrEqual(0)
      }
      expect(committed.find((c) => c.partition === 0)!.leaderEpoch).toBeGreaterThan(epochBefore)

      // The Java group command, asking a surviving node, agrees.
      const rows = await consumerGroupDescribe({ bootstrap: survivorBootstrap, group })
      expect(rows.map((row) => [row.partition, row.currentOffset, row.lag]).sort()).toEqual(
        [...endOffsets].map(([partition, end]) => [partition, end, 0n]).sort(),
      )
      console.log(`failover: killed node ${victim}; ${commitFailures.length} commits failed while it moved`)
    } finally {
      polling = false
      await loop.catch(() => {})
      await consumer.close()
    }
  }, 420_000)
})
