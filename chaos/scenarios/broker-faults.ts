/**
 * Scenario (c): broker crashes. On a one-node rig of its own (port 19092; never the shared broker), the
 * broker JVM is SIGKILLed and started again on its storage while members consume and the source produces.
 * On a three-node rig (port 19192; topic RF 3, min ISR 2), the leader of a partition is SIGKILLed, the
 * members go on with the new leaders, and the node comes back. At-least-once: nothing lost, no commit
 * moving backwards, re-deliveries within the uncommitted window.
 */

import { Kafka } from '../../src/kafka.ts'
import type { OwnRig } from '../../src/testing/own-rig.ts'
import type { ScenarioConfig } from '../harness/scenario.ts'
import type { GroupProtocol } from '../harness/types.ts'

export const SINGLE_NODE_PORT = 19_092
export const THREE_NODE_PORT = 19_192

export interface BrokerFaultSize {
  records: number
  crashes: number
  /** How long a crashed broker stays down. */
  downMs: number
}

export const brokerFaultSizes = {
  full: { records: 5000, crashes: 3, downMs: 4000 },
  ci: { records: 1500, crashes: 1, downMs: 3000 },
} satisfies Record<string, BrokerFaultSize>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function singleNodeRestartScenario(
  rig: OwnRig,
  bootstrap: string,
  groupProtocol: GroupProtocol,
  size: BrokerFaultSize,
): ScenarioConfig {
  return {
    name: 'broker-restart',
    bootstrap,
    mode: 'at-least-once',
    groupProtocol,
    members: 3,
    records: size.records,
    produceOverMs: size.crashes * (size.downMs + 15_000),
    faults: async ({ log, producedSoFar }) => {
      // The first crash waits until records flow, so it hits consumption, not a cluster still warming up.
      while (producedSoFar() < size.records / 10) await sleep(200)
      for (let crash = 0; crash < size.crashes; crash++) {
        await sleep(3000 + Math.random() * 3000)
        const started = Date.now()
        await rig.crash(1, size.downMs)
        log(`broker SIGKILLed and back after ${Date.now() - started} ms`)
      }
      return size.crashes
    },
  }
}

export function leaderFailoverScenario(
  rig: OwnRig,
  bootstrap: string,
  groupProtocol: GroupProtocol,
  size: BrokerFaultSize,
): ScenarioConfig {
  return {
    name: 'leader-failover',
    bootstrap,
    mode: 'at-least-once',
    groupProtocol,
    members: 2,
    partitions: 3,
    replicationFactor: 3,
    topicConfigs: { 'min.insync.replicas': '2' },
    records: size.records,
    produceOverMs: size.crashes * (size.downMs + 20_000),
    faults: async ({ log, producedSoFar }) => {
      while (producedSoFar() < size.records / 10) await sleep(200)
      const admin = new Kafka({ bootstrap, clientId: 'chaos-failover', logger: false }).admin()
      try {
        for (let crash = 0; crash < size.crashes; crash++) {
          await sleep(3000 + Math.random() * 3000)
          // The node leading the most partitions of the cluster's topics: the crash that moves the most.
          const topics = (await admin.listTopics()).filter((t) => t.startsWith('chaos-'))
          const leaders = new Map<number, number>()
          for (const topic of await admin.describeTopics(topics)) {
            for (const p of topic.partitions) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1)
          }
          const victim = [...leaders].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 1
          const started = Date.now()
          await rig.crash(victim, size.downMs)
          log(`leader node ${victim} SIGKILLed and back after ${Date.now() - started} ms`)
        }
      } finally {
        await admin.close()
      }
      return size.crashes
    },
  }
}
