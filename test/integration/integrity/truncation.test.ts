import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataLossError } from '../../../src/common/errors.ts'
import type { Consumer } from '../../../src/consumer/consumer.ts'
import { Kafka } from '../../../src/kafka.ts'
import { runJavaTool } from '../../../src/testing/java-tools.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { OwnRig } from '../../../src/testing/own-rig.ts'
import { produceKeyed, waitUntil } from './integrity-kit.ts'

// 19920..19925: three combined broker/controller nodes, a range no other test uses (the
// rig's own tests take 19000..19871 and 19900..19905).
const port = 19_920
const BEFORE = 50
const LOST = 50

/**
 * A real log truncation: the records a consumer read from the old leader are not on the replica that an
 * unclean election makes the new one.
 *
 * The nodes are KRaft voters too, so at most one may be down while the controller must act. Hence a topic of
 * RF=2 on nodes A and B, with the third node C keeping the quorum: B is frozen (SIGSTOP) and leaves the ISR,
 * A takes records only it has and the consumer reads them, A is killed, B thaws and is elected uncleanly.
 */
describe('log truncation after an unclean leader election (3 nodes)', () => {
  let own: OwnRig | undefined
  beforeAll(async () => {
    own = new OwnRig(port, 3, { extraConfig: { 'unclean.leader.election.enable': 'true' } })
    await own.start()
  }, 300_000)
  afterAll(async () => {
    // Stopping resumes a node the test left frozen.
    await own?.stop()
  }, 300_000)

  it("reports DataLossError naming the partition and offsets, then reads the new leader's log", async () => {
    const rig = own!.broker!
    const [a, b, c] = rig.nodes
    if (a === undefined || b === undefined || c === undefined)
      throw new Error('the rig has fewer than 3 nodes')
    const address = (node: { brokerPort: number }) => `127.0.0.1:${node.brokerPort}`
    const topic = uniqueName('integrity-truncation')
    const created = await runJavaTool('org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server',
      rig.bootstrap,
      '--create',
      '--topic',
      topic,
      '--replica-assignment',
      `${a.nodeId}:${b.nodeId}`,
      '--config',
      'min.insync.replicas=1',
    ])
    expect(created.code, created.stderr).toBe(0)
    const describe = async (bootstrap: string) => {
      const admin = new Kafka({ bootstrap }).admin()
      const [info] = await admin.describeTopics([topic]).finally(() => admin.close())
      return info!.partitions[0]!
    }
    await waitUntil(
      'A to lead partition 0',
      async () => (await describe(rig.bootstrap)).leader === a.nodeId,
      60_000,
    )
    await produceKeyed(address(a), topic, BEFORE)

    const consumer: Consumer = new Kafka({ bootstrap: rig.bootstrap }).consumer({ autoOffsetReset: 'none' })
    const tp = { topic, partition: 0 }
    consumer.assign([tp])
    consumer.seek({ ...tp, offset: 0n })
    const delivered: bigint[] = []
    const readUntil = async (what: string, done: () => boolean) =>
      waitUntil(
        what,
        async () => {
          for (const m of await consumer.poll({ timeoutMs: 200 })) delivered.push(m.offset)
          return done()
        },
        120_000,
        0,
      )
    try {
      await readUntil('the replicated records', () => delivered.length === BEFORE)

      // B freezes; once the controller fences it, A alone is in the ISR and takes records B never sees.
      process.kill(b.pid, 'SIGSTOP')
      const survivors = `${address(a)},${address(c)}`
      await waitUntil(
        'the ISR to shrink to A',
        async () => (await describe(survivors)).isr.join() === String(a.nodeId),
        90_000,
        1000,
      )
      await produceKeyed(address(a), topic, LOST, BEFORE)
      await readUntil('the records only A has', () => delivered.length === BEFORE + LOST)
      const epochOnA = (await describe(survivors)).leaderEpoch

      // A dies with them; B thaws (the quorum is B and C again) and is made leader uncleanly.
      process.kill(a.pid, 'SIGKILL')
      process.kill(b.pid, 'SIGCONT')
      const remaining = `${address(b)},${address(c)}`
      await waitUntil(
        'B to be elected leader',
        async () => {
          const partition = await describe(remaining).catch(() => undefined)
          if (partition?.leader === b.nodeId) return true
          await runJavaTool('org.apache.kafka.tools.LeaderElectionCommand', [
            '--bootstrap-server',
            remaining,
            '--election-type',
            'unclean',
            '--topic',
            topic,
            '--partition',
            '0',
          ])
          return false
        },
        180_000,
        2000,
      )
      expect((await describe(remaining)).leaderEpoch).toBeGreaterThan(epochOnA)

      // The consumer, at offset 100 in A's epoch, must hear that 50..99 are gone, not carry on silently.
      let loss: unknown
      await waitUntil(
        'the consumer to report the truncation',
        async () => {
          try {
            for (const m of await consumer.poll({ timeoutMs: 500 })) delivered.push(m.offset)
          } catch (error) {
            loss = error
            return true
          }
          return false
        },
        120_000,
        0,
      )
      expect(loss).toBeInstanceOf(DataLossError)
      expect(loss).toMatchObject({
        topic,
        partition: 0,
        consumedOffset: BigInt(BEFORE + LOST),
        resetOffset: BigInt(BEFORE),
      })
      // Nothing was delivered between the election and the error.
      expect(delivered).toHaveLength(BEFORE + LOST)

      // Reading continues at the divergence point, with what the new leader writes there.
      const fresh = await produceKeyed(remaining, topic, 5, 1000)
      const after: { offset: bigint; key: string }[] = []
      await waitUntil(
        "the new leader's records",
        async () => {
          for (const m of await consumer.poll({ timeoutMs: 200 })) {
            after.push({ offset: m.offset, key: m.key?.toString() ?? '' })
          }
          return after.length >= 5
        },
        60_000,
        0,
      )
      expect(after.map((m) => m.offset)).toEqual([50n, 51n, 52n, 53n, 54n])
      expect(after).toHaveLength(fresh.size)
      expect(after.map((m) => m.key)).toEqual(['key-1000', 'key-1001', 'key-1002', 'key-1003', 'key-1004'])
      console.log(
        `truncation: A=${a.nodeId} epoch ${epochOnA}, B=${b.nodeId}; ${(loss as Error).message.slice(0, 400)}`,
      )
    } finally {
      await consumer.close()
    }
  }, 600_000)
})
