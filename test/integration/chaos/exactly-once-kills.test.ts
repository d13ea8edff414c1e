/**
 * CI-sized chaos scenario (e): the exactly-once pipelines with SIGKILLed members (3 kills; `npm run chaos`
 * does 30): run({ transactional }) writing two outputs per input in the unit's transaction, read back
 * read_committed; and run({ offsetStore: PostgresOffsetStore }) writing one row per input. Zero duplicates,
 * zero losses, no torn transaction, no aborted record read.
 */

import { expect, it } from 'vitest'
import { runScenario } from '../../../chaos/harness/scenario.ts'
import { killSizes, killsScenario } from '../../../chaos/scenarios/kills.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

it.each(['exactly-once-txn', 'exactly-once-pg'] as const)(
  '%s with SIGKILLed members: each input exactly once',
  async (mode) => {
    const row = await runScenario(killsScenario(kafkaBootstrap(), mode, 'classic', killSizes.ci))
    expect(row.faults).toBe(killSizes.ci.kills)
    expect(row.produced).toBe(killSizes.ci.records)
    expect(row.notes, JSON.stringify(row)).toEqual([])
    expect(row.passed).toBe(true)
  },
  240_000,
)
