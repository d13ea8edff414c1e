/** Every scenario of the suite, at either size, as the runner and the CI tests call them. */

import { OwnRig } from '../../src/testing/own-rig.ts'
import { runScenario } from '../harness/scenario.ts'
import type { GroupProtocol, Guarantee, ResultRow } from '../harness/types.ts'
import {
  brokerFaultSizes,
  leaderFailoverScenario,
  SINGLE_NODE_PORT,
  singleNodeRestartScenario,
  THREE_NODE_PORT,
} from './broker-faults.ts'
import { killSizes, killsScenario } from './kills.ts'
import { networkScenario, networkSizes } from './network-faults.ts'
import { stormScenario, stormSizes } from './rebalance-storm.ts'

export type Size = 'full' | 'ci'

export interface ScenarioEntry {
  label: string
  run(): Promise<ResultRow[]>
  /** The row reported when the scenario could not run at all. */
  failed(error: unknown): ResultRow
}

function failedRow(
  scenario: string,
  protocol: GroupProtocol | 'n/a',
  guarantee: Guarantee,
  error: unknown,
): ResultRow {
  return {
    scenario,
    protocol,
    guarantee,
    produced: 0,
    lost: 0,
    duplicated: 0,
    maxDuplicateWindow: 0,
    maxUncommittedWindow: 0,
    backwardsCommits: 0,
    abortedReads: 0,
    tornTransactions: 0,
    nonMonotonic: 0,
    passed: false,
    faults: 0,
    durationMs: 0,
    notes: [`could not run: ${error instanceof Error ? error.message : String(error)}`],
  }
}

export function scenarioList(bootstrap: string, size: Size): ScenarioEntry[] {
  const entries: ScenarioEntry[] = []
  for (const protocol of ['classic', 'consumer'] as const) {
    for (const mode of ['at-least-once', 'at-most-once'] as const) {
      entries.push({
        label: `kills ${mode} ${protocol}`,
        run: async () => [await runScenario(killsScenario(bootstrap, mode, protocol, killSizes[size]))],
        failed: (error) => failedRow('consumer-sigkill', protocol, mode, error),
      })
    }
  }
  for (const protocol of ['classic', 'consumer'] as const) {
    entries.push({
      label: `storm at-least-once ${protocol}`,
      run: async () => [await runScenario(stormScenario(bootstrap, protocol, stormSizes[size]))],
      failed: (error) => failedRow('rebalance-storm', protocol, 'at-least-once', error),
    })
  }
  for (const protocol of ['classic', 'consumer'] as const) {
    entries.push({
      label: `network at-least-once ${protocol}`,
      run: async () => [await runScenario(networkScenario(bootstrap, protocol, networkSizes[size]))],
      failed: (error) => failedRow('network-faults', protocol, 'at-least-once', error),
    })
  }
  for (const mode of ['exactly-once-txn', 'exactly-once-pg'] as const) {
    entries.push({
      label: `eos kills ${mode}`,
      run: async () => [await runScenario(killsScenario(bootstrap, mode, 'classic', killSizes[size]))],
      failed: (error) =>
        failedRow(
          `eos-sigkill-${mode === 'exactly-once-txn' ? 'txn' : 'postgres'}`,
          'classic',
          'exactly-once',
          error,
        ),
    })
  }
  entries.push({
    label: 'broker restart (own 1-node rig on 19092)',
    run: async () => {
      const rig = new OwnRig(SINGLE_NODE_PORT, 1)
      try {
        const rigBootstrap = await rig.start()
        const rows: ResultRow[] = []
        for (const protocol of ['classic', 'consumer'] as const) {
          rows.push(
            await runScenario(singleNodeRestartScenario(rig, rigBootstrap, protocol, brokerFaultSizes[size])),
          )
        }
        return rows
      } finally {
        await rig.stop()
      }
    },
    failed: (error) => failedRow('broker-restart', 'classic', 'at-least-once', error),
  })
  entries.push({
    label: 'leader failover (own 3-node rig on 19192)',
    run: async () => {
      const rig = new OwnRig(THREE_NODE_PORT, 3)
      try {
        const rigBootstrap = await rig.start()
        const rows: ResultRow[] = []
        for (const protocol of ['classic', 'consumer'] as const) {
          rows.push(
            await runScenario(leaderFailoverScenario(rig, rigBootstrap, protocol, brokerFaultSizes[size])),
          )
        }
        return rows
      } finally {
        await rig.stop()
      }
    },
    failed: (error) => failedRow('leader-failover', 'classic', 'at-least-once', error),
  })
  return entries
}
