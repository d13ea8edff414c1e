/**
 * Scenario (d): network faults between members and the broker, through an in-process TCP proxy in each
 * member process (chaos/harness/fault-proxy.ts): added latency, stalls (responses held back for seconds),
 * connections cut in the middle of a response frame, and half-open sockets that only the request timeout
 * can notice. At-least-once: nothing lost, re-deliveries within the uncommitted window.
 */

import type { Fault } from '../harness/fault-proxy.ts'
import type { ScenarioConfig } from '../harness/scenario.ts'
import type { GroupProtocol } from '../harness/types.ts'

export interface NetworkSize {
  records: number
  faults: number
}

export const networkSizes = {
  full: { records: 5000, faults: 30 },
  ci: { records: 1000, faults: 6 },
} satisfies Record<string, NetworkSize>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function randomFault(index: number): Fault {
  // Every kind comes up in turn, with random parameters.
  switch (index % 4) {
    case 0:
      return { kind: 'latency', ms: 50 + Math.floor(Math.random() * 250) }
    case 1:
      return { kind: 'stall', ms: 1000 + Math.floor(Math.random() * 3000) }
    case 2:
      return { kind: 'cut' }
    default:
      return { kind: 'half-open' }
  }
}

export function networkScenario(
  bootstrap: string,
  groupProtocol: GroupProtocol,
  size: NetworkSize,
): ScenarioConfig {
  return {
    name: 'network-faults',
    bootstrap,
    mode: 'at-least-once',
    groupProtocol,
    members: 3,
    records: size.records,
    produceOverMs: size.faults * 2000,
    // Half-open sockets are noticed by the request timeout: 8 s keeps a scenario short.
    memberOverrides: { faultProxy: true, requestTimeoutMs: 8000 },
    faults: async ({ fleet, log }) => {
      let injected = 0
      for (let i = 0; i < size.faults; i++) {
        await sleep(1000 + Math.random() * 2000)
        const live = fleet.live()
        const target = live[Math.floor(Math.random() * live.length)]
        if (target === undefined) continue
        const fault = randomFault(i)
        fleet.fault(target, fault)
        injected++
        // Latency lasts a few seconds, then goes away again.
        if (fault.kind === 'latency') setTimeout(() => fleet.fault(target, { kind: 'latency', ms: 0 }), 3000)
      }
      log(`network ${groupProtocol}: ${injected} faults`)
      return injected
    },
  }
}
