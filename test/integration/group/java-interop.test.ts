import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { consumerGroupDescribe, spawnJavaTool } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { createTopic, partitionsOf, startMember, type TestMember, waitFor } from './group-kit.ts'

/** Starts the Java console consumer as a long-running member of `group` (classic protocol, Java's default assignors). */
function startJavaConsumer(topic: string, group: string): Promise<ChildProcess> {
  const properties = {
    'group.protocol': 'classic',
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
  }
  return spawnJavaTool(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    [
      '--bootstrap-server',
      kafkaBootstrap(),
      '--topic',
      topic,
      '--group',
      group,
      ...Object.entries(properties).flatMap(([key, value]) => ['--consumer-property', `${key}=${value}`]),
    ],
    ['ignore', 'ignore', 'pipe'],
  )
}

/** Partition → owning member id, as the Java group command reports it. */
async function owners(group: string): Promise<Map<string, string | null>> {
  const rows = await consumerGroupDescribe({ bootstrap: kafkaBootstrap(), group })
  return new Map(rows.map((row) => [`${row.topic}-${row.partition}`, row.consumerId]))
}

describe('a group shared by the Java consumer and samsa (classic protocol)', () => {
  let java: ChildProcess | undefined
  let member: TestMember | undefined
  afterEach(async () => {
    java?.kill('SIGTERM')
    java = undefined
    await member?.close()
    member = undefined
  })

  for (const assignors of [undefined, ['range' as const]]) {
    it(`splits partitions, each owned exactly once (samsa assignors: ${assignors?.join(',') ?? 'default'})`, async () => {
      const topic = uniqueName('group-java')
      await createTopic(topic, 4)
      const group = uniqueName('g')
      java = await startJavaConsumer(topic, group)
      // Wait until the Java consumer owns everything, so samsa's arrival is what splits the group.
      const deadline = Date.now() + 45_000
      for (;;) {
        const current = await owners(group).catch(() => new Map<string, string | null>())
        if (current.size === 4 && [...current.values()].every((id) => id !== null)) break
        if (Date.now() > deadline) throw new Error('the Java consumer never owned the partitions')
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }

      member = await startMember(
        { groupId: group, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, ...(assignors && { assignors }) },
        [topic],
      )
      const samsa = member
      await waitFor('samsa to get its share', () => samsa.owned().length === 2, 45_000)
      const samsaId = samsa.membership.groupMetadata().memberId

      let current = await owners(group)
      for (let i = 0; i < 20 && [...current.values()].filter((id) => id === samsaId).length !== 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000))
        current = await owners(group)
      }
      expect([...current.keys()].sort()).toEqual(partitionsOf(topic, 4))
      const samsaPartitions = [...current].filter(([, id]) => id === samsaId).map(([tp]) => tp)
      const javaPartitions = [...current].filter(([, id]) => id !== null && id !== samsaId).map(([tp]) => tp)
      expect(samsaPartitions.sort()).toEqual(samsa.owned())
      expect(javaPartitions).toHaveLength(2)
      expect(new Set([...current.values()]).size).toBe(2)
      expect(samsa.membership.groupMetadata().protocol).toBe(assignors?.[0] ?? 'cooperative-sticky')
    })
  }
})
