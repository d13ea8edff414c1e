/**
 * Membership while the application blocks the main thread (issue M2-R, item 2): the heartbeat worker keeps a
 * member whose handler holds the main thread past the session timeout, and takes a member that stops polling
 * out of the group after maxPollIntervalMs, even though the main thread cannot send a LeaveGroup itself.
 */

import { afterAll, describe, expect, it } from 'vitest'
import type { GroupProtocol } from '../../../src/consumer/group/group-options.ts'
import { Kafka, UncommittedOffsetsError } from '../../../src/index.ts'
import { runJavaTool } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import { MemberProcess } from './member-process.ts'

const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'liveness-test', logger: false })
const admin = kafka.admin()
const topics: string[] = []
const members: MemberProcess[] = []

afterAll(async () => {
  for (const member of members) member.kill()
  await admin.deleteTopics(topics).catch(() => undefined)
  await admin.close()
})

async function topicWithRecords(partitions: number): Promise<string> {
  const topic = uniqueName('liveness')
  topics.push(topic)
  await admin.createTopics([{ topic, partitions }])
  const producer = kafka.producer()
  for (let partition = 0; partition < partitions; partition++) {
    await producer.sendBatch(Array.from({ length: 20 }, (_, i) => ({ topic, partition, value: `r${i}` })))
  }
  await producer.close()
  return topic
}

function blockingMember(
  topic: string,
  group: string,
  groupProtocol: GroupProtocol,
  options: {
    sessionTimeoutMs?: number
    maxPollIntervalMs: number
    blockMs: number
    backgroundHeartbeat: boolean
  },
): MemberProcess {
  const member = new MemberProcess({ bootstrap: kafkaBootstrap(), topic, group, groupProtocol, ...options })
  members.push(member)
  return member
}

describe('a handler that blocks the main thread longer than sessionTimeoutMs (classic)', () => {
  it('keeps its membership: the worker heartbeats meanwhile, nothing is lost, the commit succeeds', async () => {
    const topic = await topicWithRecords(2)
    const member = blockingMember(topic, uniqueName('liveness-keep'), 'classic', {
      sessionTimeoutMs: 6000,
      maxPollIntervalMs: 60_000,
      blockMs: 10_000,
      backgroundHeartbeat: true,
    })
    await member.waitFor('closed', 50_000)
    expect(member.events.filter((e) => e.type === 'lost')).toEqual([])
    expect(member.find('commit')).toMatchObject({ ok: true })
    // One assignment for the whole run: the coordinator never rebalanced the member away.
    expect(member.events.filter((e) => e.type === 'assigned')).toHaveLength(1)
  }, 60_000)

  it('is evicted without the worker (the control: the test can tell the two apart)', async () => {
    const topic = await topicWithRecords(2)
    const member = blockingMember(topic, uniqueName('liveness-evicted'), 'classic', {
      sessionTimeoutMs: 6000,
      maxPollIntervalMs: 60_000,
      blockMs: 10_000,
      backgroundHeartbeat: false,
    })
    await member.waitFor('closed', 50_000)
    expect(member.events.filter((e) => e.type === 'lost').length).toBeGreaterThan(0)
  }, 60_000)
})

describe('a handler that blocks the main thread longer than the session timeout (KIP-848)', () => {
  it('keeps its membership: the worker heartbeats meanwhile with the member epoch it was told', async () => {
    const topic = await topicWithRecords(2)
    const group = uniqueName('liveness-keep-848')
    // KIP-848 session timeouts are group configs (the rig lowers the broker's 45 s floor to 6 s).
    const configured = await runJavaTool('kafka.admin.ConfigCommand', [
      '--bootstrap-server',
      kafkaBootstrap(),
      '--entity-type',
      'groups',
      '--entity-name',
      group,
      '--alter',
      '--add-config',
      'consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=2000',
    ])
    expect(configured.code, configured.stderr).toBe(0)
    const member = blockingMember(topic, group, 'consumer', {
      maxPollIntervalMs: 60_000,
      blockMs: 10_000,
      backgroundHeartbeat: true,
    })
    await member.waitFor('closed', 50_000)
    expect(member.events.filter((e) => e.type === 'lost')).toEqual([])
    expect(member.find('commit')).toMatchObject({ ok: true })
    expect(member.events.filter((e) => e.type === 'assigned')).toHaveLength(1)
  }, 70_000)
})

describe.each(['classic', 'consumer'] as const)('a member that stops polling (%s protocol)', (protocol) => {
  it('leaves the group after maxPollIntervalMs while its main thread is still blocked; its partitions move', async () => {
    const topic = await topicWithRecords(2)
    const group = uniqueName(`liveness-poll-${protocol}`)
    const blocked = blockingMember(topic, group, protocol, {
      ...(protocol === 'classic' && { sessionTimeoutMs: 30_000 }),
      maxPollIntervalMs: 6000,
      blockMs: 20_000,
      backgroundHeartbeat: true,
    })
    await blocked.waitFor('ready', 40_000)
    const other = kafka.consumer({
      groupId: group,
      groupProtocol: protocol,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      ...(protocol === 'classic' && { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1000 }),
    })
    try {
      other.subscribe([topic])
      const pollUntil = async (condition: () => boolean, what: string) => {
        await waitFor(
          what,
          async () => {
            await other.poll({ timeoutMs: 100 })
            return condition()
          },
          40_000,
          0,
        )
      }
      await blocked.waitFor('block-start', 30_000)
      await pollUntil(() => other.assignment().length === 2, 'the other member to own both partitions')
      // Both partitions moved while the blocked member's main thread could not have sent anything.
      expect(blocked.find('block-end')).toBeUndefined()
      await blocked.waitFor('closed', 40_000)
      expect(blocked.events.some((e) => e.type === 'lost')).toBe(true)
    } finally {
      await other.close().catch(() => undefined)
    }
  }, 90_000)
})

describe('stop() after this member was evicted', () => {
  it('rejects with UncommittedOffsetsError naming the partitions and offsets that did not reach the group', async () => {
    const topic = await topicWithRecords(2)
    const group = uniqueName('liveness-stop-evicted')
    const consumer = kafka.consumer({
      groupId: group,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 2000,
      // Without the worker nothing heartbeats while the handler blocks: the coordinator evicts the member.
      backgroundHeartbeat: false,
    })
    let handled = 0
    let blocked = false
    const handle = await consumer.run({
      topics: [topic],
      ack: 'after-success',
      commit: { everyMs: 600_000 },
      eachMessage: async () => {
        handled++
        if (!blocked) {
          blocked = true
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000)
        }
      },
    })
    await waitFor('the blocking handler to have run', () => blocked && handled > 0, 40_000, 0)
    const stopped = await handle.stop().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(stopped).toBeInstanceOf(UncommittedOffsetsError)
    const error = stopped as UncommittedOffsetsError
    expect(error.offsets.length).toBeGreaterThan(0)
    for (const offset of error.offsets) {
      expect(offset.topic).toBe(topic)
      expect(offset.offset).toBeGreaterThan(0n)
    }
    await expect(handle.done).rejects.toBe(error)
    // The group has none of it: the next owner starts from the beginning.
    const committed = await admin.listGroupOffsets(group).catch(() => [])
    expect(committed.every((row) => row.committedOffset === null)).toBe(true)
  }, 60_000)
})
