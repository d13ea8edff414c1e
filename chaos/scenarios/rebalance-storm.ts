/**
 * Scenario (b): a rebalance storm. Members join (a new process) or leave (SIGTERM: drain, commit, leave the
 * group) every 0.5-2 s, with ordering 'none' so several messages of one partition are in handlers at once
 * when their partition is revoked. At-least-once: nothing may be lost, re-deliveries stay within the
 * uncommitted window, and every leaving member must exit cleanly.
 */

import type { ScenarioConfig } from '../harness/scenario.ts'
import type { GroupProtocol } from '../harness/types.ts'

export interface StormSize {
  records: number
  stormMs: number
}

export const stormSizes = {
  full: { records: 8000, stormMs: 60_000 },
  ci: { records: 1500, stormMs: 10_000 },
} satisfies Record<string, StormSize>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function stormScenario(
  bootstrap: string,
  groupProtocol: GroupProtocol,
  size: StormSize,
): ScenarioConfig {
  return {
    name: 'rebalance-storm',
    bootstrap,
    mode: 'at-least-once',
    groupProtocol,
    ordering: 'none',
    inFlightPerPartition: 8,
    workMs: 5,
    members: 2,
    records: size.records,
    produceOverMs: size.stormMs,
    faults: async ({ fleet, log, problem }) => {
      const end = Date.now() + size.stormMs
      const leaving: Promise<void>[] = []
      let changes = 0
      while (Date.now() < end) {
        await sleep(500 + Math.random() * 1500)
        const live = fleet.live()
        const join = live.length <= 1 || (live.length < 5 && Math.random() < 0.5)
        if (join) {
          fleet.start()
        } else {
          // A member still loading has not joined yet; leaving is only a fault for one that runs.
          const running = live.filter((m) => m.ready)
          const member = running[Math.floor(Math.random() * running.length)]
          if (member === undefined) continue
          leaving.push(
            fleet.stop(member).then((failure) => {
              if (failure !== null) problem(`leaving member: ${failure}`)
            }),
          )
        }
        changes++
      }
      await Promise.all(leaving)
      log(`storm ${groupProtocol}: ${changes} joins and leaves`)
      return changes
    },
  }
}
