/**
 * CI-sized chaos scenario (a): member processes SIGKILLed at random points (3 kills per run; `npm run chaos`
 * does 30), classic and KIP-848, at-least-once and at-most-once. Each run is one row of the chaos report.
 */

import { describe, expect, it } from 'vitest'
import { runScenario } from '../../../chaos/harness/scenario.ts'
import { killSizes, killsScenario } from '../../../chaos/scenarios/kills.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

describe.each(['classic', 'consumer'] as const)('SIGKILLed members, %s protocol', (protocol) => {
  it.each(['at-least-once', 'at-most-once'] as const)(
    '%s holds',
    async (mode) => {
      const row = await runScenario(killsScenario(kafkaBootstrap(), mode, protocol, killSizes.ci))
      expect(row.faults).toBe(killSizes.ci.kills)
      expect(row.produced).toBe(killSizes.ci.records)
      expect(row.notes, JSON.stringify(row)).toEqual([])
      expect(row.passed).toBe(true)
    },
    240_000,
  )
})
