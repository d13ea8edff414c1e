/**
 * CI-sized chaos scenario (b): a rebalance storm (members joining and leaving every 0.5-2 s for 10 s;
 * `npm run chaos` storms for 60 s) with ordering 'none' and eight messages of a partition in handlers at
 * once, with the classic protocol and KIP-848 (whose reconciliation found the commit deadlock).
 */

import { expect, it } from 'vitest'
import { runScenario } from '../../../chaos/harness/scenario.ts'
import { stormScenario, stormSizes } from '../../../chaos/scenarios/rebalance-storm.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

it.each(['classic', 'consumer'] as const)(
  'rebalance storm, %s protocol: at-least-once holds and every leaver exits cleanly',
  async (protocol) => {
    const row = await runScenario(stormScenario(kafkaBootstrap(), protocol, stormSizes.ci))
    expect(row.faults).toBeGreaterThanOrEqual(3)
    expect(row.produced).toBe(stormSizes.ci.records)
    expect(row.notes, JSON.stringify(row)).toEqual([])
    expect(row.passed).toBe(true)
  },
  240_000,
)
