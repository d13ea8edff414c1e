/** The benchmark's cases, sized from the command-line options. */

import { COMMIT_POLICIES, type CommitPolicy, type RebalanceProtocol } from './task.ts'

export interface CaseOptions {
  /** Records of 100 B in the produce and consume cases. */
  messages: number
  /** Records of 1 KiB in the large-record produce case. */
  largeMessages: number
  /**
   * Records consumed with a commit after every message: a round trip per record makes this the slowest case,
   * so it gets its own, smaller backlog. The other commit policies read the main backlog, so their cost is
   * measured over as many records as the no-commit case.
   */
  commitMessages: number
  partitions: number
  latencyRatePerSec: number
  latencySeconds: number
  /** How long after the second member starts the rebalance cases watch for pauses. */
  rebalanceWindowMs: number
}

interface CaseBase {
  /** Stable name, used in the results and with `--cases`. */
  name: string
  /** One line for the report. */
  description: string
  messages: number
  sizeBytes: number
  partitions: number
}

export type BenchCase =
  | (CaseBase & { kind: 'produce' })
  /** Consumes a backlog made once per case by the runner; `backlog` names the shared backlog. */
  | (CaseBase & { kind: 'consume'; commit: CommitPolicy; backlog: string })
  | (CaseBase & { kind: 'latency'; ratePerSec: number })
  | (CaseBase & { kind: 'rebalance'; protocol: RebalanceProtocol; ratePerSec: number; windowMs: number })

export function buildCases(options: CaseOptions): BenchCase[] {
  const { partitions } = options
  const commitCases: BenchCase[] = COMMIT_POLICIES.map((commit) => {
    const perMessage = commit === 'message'
    const messages = perMessage ? options.commitMessages : options.messages
    return {
      kind: 'consume',
      name: `consume-commit-${commit}`,
      description: `consume ${messages} × 100 B in a group, commits: ${commit}`,
      messages,
      sizeBytes: 100,
      partitions,
      commit,
      backlog: perMessage ? 'commit' : 'consume',
    }
  })
  return [
    {
      kind: 'produce',
      name: 'produce-100B',
      description: `produce ${options.messages} × 100 B, acks=all`,
      messages: options.messages,
      sizeBytes: 100,
      partitions,
    },
    {
      kind: 'produce',
      name: 'produce-1KB',
      description: `produce ${options.largeMessages} × 1 KiB, acks=all`,
      messages: options.largeMessages,
      sizeBytes: 1024,
      partitions,
    },
    {
      kind: 'consume',
      name: 'consume-100B',
      description: `consume ${options.messages} × 100 B from ${partitions} partitions, no commits`,
      messages: options.messages,
      sizeBytes: 100,
      partitions,
      commit: 'none',
      backlog: 'consume',
    },
    ...commitCases,
    {
      kind: 'latency',
      name: 'latency-10k',
      description: `end-to-end latency at ${options.latencyRatePerSec} msg/s for ${options.latencySeconds} s, 100 B`,
      messages: options.latencyRatePerSec * options.latencySeconds,
      sizeBytes: 100,
      partitions,
      ratePerSec: options.latencyRatePerSec,
    },
    ...(
      [
        ['eager', 'classic protocol, eager assignor'],
        ['cooperative', 'classic protocol, cooperative-sticky'],
        ['consumer', 'KIP-848 consumer protocol'],
      ] as const
    ).map(
      ([protocol, label]): BenchCase => ({
        kind: 'rebalance',
        name: `rebalance-${protocol === 'consumer' ? 'kip848' : protocol}`,
        description: `longest processing pause when a second member joins (${label})`,
        messages: 0,
        sizeBytes: 100,
        partitions,
        protocol,
        ratePerSec: 1000,
        windowMs: options.rebalanceWindowMs,
      }),
    ),
  ]
}
