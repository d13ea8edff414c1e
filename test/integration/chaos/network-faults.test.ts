/**
 * CI-sized chaos scenario (d): latency, stalls, connections cut mid-response and half-open sockets between
 * members and the broker, through the in-process proxy of each member (6 faults per run; `npm run chaos`
 * injects 30), classic and KIP-848, at-least-once.
 */

import { expect, it } from 'vitest'
import { runScenario } from '../../../chaos/harness/scenario.ts'
import { networkScenario, networkSizes } from '../../../chaos/scenarios/network-faults.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

it.each(['classic', 'consumer'] as const)(
  'network faults, %s protocol: at-least-once holds',
  async (protocol) => {
    const row = await runScenario(networkScenario(kafkaBootstrap(), protocol, networkSizes.ci))
    // A fault goes to a live member; every planned one finds one, since no member is killed here.
    expect(row.faults).toBe(networkSizes.ci.faults)
    expect(row.produced).toBe(networkSizes.ci.records)
    expect(row.notes, JSON.stringify(row)).toEqual([])
    expect(row.passed).toBe(true)
  },
  240_000,
)
