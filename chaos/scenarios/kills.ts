/**
 * Scenario (a): consumer processes SIGKILLed at random points while records are produced, each replaced by a
 * fresh process. At-least-once must lose nothing and re-deliver no further back than the uncommitted
 * window; at-most-once must process nothing twice.
 */

import type { ScenarioConfig } from '../harness/scenario.ts'
import type { GroupProtocol } from '../harness/types.ts'

export interface KillsSize {
  records: number
  kills: number
  /** Random pause between kills. */
  minGapMs: number
  maxGapMs: number
}

export const killSizes = {
  full: { records: 8000, kills: 30, minGapMs: 1000, maxGapMs: 3000 },
  ci: { records: 1000, kills: 3, minGapMs: 1500, maxGapMs: 2500 },
} satisfies Record<string, KillsSize>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function killsScenario(
  bootstrap: string,
  mode: 'at-least-once' | 'at-most-once' | 'exactly-once-txn' | 'exactly-once-pg',
  groupProtocol: GroupProtocol,
  size: KillsSize,
): ScenarioConfig {
  return {
    name: mode.startsWith('exactly-once')
      ? `eos-sigkill-${mode === 'exactly-once-txn' ? 'txn' : 'postgres'}`
      : 'consumer-sigkill',
    bootstrap,
    mode,
    groupProtocol,
    members: 3,
    records: size.records,
    produceOverMs: (size.kills * (size.minGapMs + size.maxGapMs)) / 2,
    faults: async ({ fleet, log }) => {
      for (let kill = 0; kill < size.kills; kill++) {
        await sleep(size.minGapMs + Math.random() * (size.maxGapMs - size.minGapMs))
        const live = fleet.live()
        const victim = live[Math.floor(Math.random() * live.length)]
        if (victim === undefined) continue
        await fleet.kill(victim)
        fleet.start(
          victim.options.transactionalId === undefined
            ? {}
            : { transactionalId: victim.options.transactionalId },
        )
      }
      log(`${mode} ${groupProtocol}: ${fleet.kills} SIGKILLs`)
      return fleet.kills
    },
  }
}
