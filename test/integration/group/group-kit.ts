/** Helpers for the group membership integration tests: members that record what happens to them. */

import { Admin } from '../../../src/admin/admin.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import type { TopicPartition } from '../../../src/common/types.ts'
import { createMembership } from '../../../src/consumer/group/create-membership.ts'
import { groupClusterOf } from '../../../src/consumer/group/group-cluster.ts'
import { type GroupOptions, resolveGroupOptions } from '../../../src/consumer/group/group-options.ts'
import type { GroupMembership } from '../../../src/consumer/group/membership.ts'
import { parseSubscription } from '../../../src/consumer/group/topic-subscription.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

export interface ListenerCall {
  event: 'assigned' | 'revoked' | 'lost'
  partitions: string[]
}

export interface TestMember {
  readonly membership: GroupMembership
  readonly calls: ListenerCall[]
  /** The partitions the membership last handed to the consumer, as `topic-partition` strings. */
  owned(): string[]
  close(): Promise<void>
}

const render = (partitions: readonly TopicPartition[]) =>
  partitions.map((tp) => `${tp.topic}-${tp.partition}`).sort()

export async function startMember(
  options: GroupOptions,
  subscription: string[] | RegExp,
  clientOptions: { metadataMaxAgeMs?: number } = {},
): Promise<TestMember> {
  const cluster = Cluster.create({
    bootstrap: kafkaBootstrap(),
    clientId: 'samsa-group-test',
    ...clientOptions,
  })
  const groupCluster = groupClusterOf(cluster)
  let owned: string[] = []
  const calls: ListenerCall[] = []
  const membership = createMembership({
    cluster: groupCluster,
    options: resolveGroupOptions(options)!,
    target: {
      setAssignment: (partitions) => {
        owned = render(partitions)
      },
      hold() {},
      release() {},
    },
    logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
    retryBackoffMs: 100,
    retryBackoffMaxMs: 1000,
  })
  const record = (event: ListenerCall['event']) => (partitions: TopicPartition[]) => {
    calls.push({ event, partitions: render(partitions) })
  }
  membership.subscribe(parseSubscription(subscription), {
    onPartitionsAssigned: record('assigned'),
    onPartitionsRevoked: record('revoked'),
    onPartitionsLost: record('lost'),
  })
  membership.notePoll()
  // Keep "polling" so the max-poll-interval clock never fires during a test.
  const polling = setInterval(() => membership.notePoll(), 500)
  return {
    membership,
    calls,
    owned: () => owned,
    async close() {
      clearInterval(polling)
      await membership.close()
      await groupCluster.close()
      await cluster.close()
    },
  }
}

export async function createTopic(name: string, partitions: number): Promise<void> {
  const cluster = Cluster.create({ bootstrap: kafkaBootstrap() })
  try {
    await new Admin(cluster).createTopics([{ topic: name, partitions, replicationFactor: 1 }])
  } finally {
    await cluster.close()
  }
}

export { waitFor } from '../../../src/testing/wait-for.ts'

export function partitionsOf(topic: string, count: number): string[] {
  return [...Array(count).keys()].map((p) => `${topic}-${p}`).sort()
}

/** True when the members' assignments together cover `expected` with every partition exactly once. */
export function ownedExactlyOnce(members: readonly TestMember[], expected: readonly string[]): boolean {
  const all = members.flatMap((member) => member.owned()).sort()
  return all.length === expected.length && all.every((tp, i) => tp === expected[i])
}
