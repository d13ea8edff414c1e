/**
 * CI-sized chaos scenario (c): broker crashes on rigs of the test's own, never the shared broker. A
 * one-node rig (ports 19930-19931) is SIGKILLed once and started again on its storage while members
 * consume; on a three-node rig (19940-19945; topic RF 3, min ISR 2) the node leading the most partitions
 * is SIGKILLed once and comes back. Each with the classic and the KIP-848 group protocol. `npm run chaos`
 * crashes three times per run on 19092 and 19192. No other test uses these ports (docs/broker-rig.md lists the ranges).
 */

import { afterAll, describe, expect, it } from 'vitest'
import { runScenario } from '../../../chaos/harness/scenario.ts'
import {
  brokerFaultSizes,
  leaderFailoverScenario,
  singleNodeRestartScenario,
} from '../../../chaos/scenarios/broker-faults.ts'
import { OwnRig } from '../../../src/testing/own-rig.ts'

const size = brokerFaultSizes.ci

describe('a SIGKILLed broker restarted on its storage', () => {
  const rig = new OwnRig(19_930, 1)
  let bootstrap: Promise<string> | undefined
  afterAll(() => rig.stop(), 300_000)

  it.each(['classic', 'consumer'] as const)(
    '%s protocol: at-least-once holds',
    async (protocol) => {
      bootstrap ??= rig.start()
      const row = await runScenario(singleNodeRestartScenario(rig, await bootstrap, protocol, size))
      expect(row.faults).toBe(size.crashes)
      expect(row.produced).toBe(size.records)
      expect(row.notes, JSON.stringify(row)).toEqual([])
      expect(row.passed).toBe(true)
    },
    420_000,
  )
})

describe('the partition leader SIGKILLed on a three-node cluster', () => {
  const rig = new OwnRig(19_940, 3)
  let bootstrap: Promise<string> | undefined
  afterAll(() => rig.stop(), 300_000)

  it.each(['classic', 'consumer'] as const)(
    '%s protocol: at-least-once holds on the new leaders',
    async (protocol) => {
      bootstrap ??= rig.start()
      const row = await runScenario(leaderFailoverScenario(rig, await bootstrap, protocol, size))
      expect(row.faults).toBe(size.crashes)
      expect(row.produced).toBe(size.records)
      expect(row.notes, JSON.stringify(row)).toEqual([])
      expect(row.passed).toBe(true)
    },
    480_000,
  )
})
