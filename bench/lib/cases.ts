/** The benchmark's cases, sized from the command-line options. */

import type { CommitPolicy, RebalanceProtocol } from './task.ts'

export interface CaseOptions {
  /** Records of 100 B in the produce and consume cases. */
  messages: number
  /** Records of 1 KiB in the large-record produce case. */
  largeMessages: number
  /**
   * Records consumed with a commit after every message: a round trip per record makes this the slowest case,
   * so it reads only the first `commitMessages` records of the consume backlog. The other commit policies
   * read the whole backlog, so their cost is measured over as many records as the no-commit case.
   */
  commitMessages: number
  partitions: number
  /**
   * Payload bytes of one produce request per partition: samsa's, the Java tools' and librdkafka's batch size;
   * kafkajs and platformatic, which batch per `send()` call, get calls carrying this many bytes per partition.
   */
  batchBytes: number
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
  /** Records of the untimed warm-up run each client makes before the case's first measured run (0: none). */
  warmupMessages: number
}

export type BenchCase =
  | (CaseBase & { kind: 'produce'; batchBytes: number })
  /**
   * Consumes a backlog made once by the runner; cases with the same `backlog` key (and partitions and record
   * size) read the same topic, each with fresh groups, so they compare the same records.
   */
  | (CaseBase & {
      kind: 'consume'
      commit: CommitPolicy
      backlog: string
      backlogMessages: number
      /** A share group (KIP-932) reads the backlog instead of a consumer group. */
      share?: boolean
    })
  | (CaseBase & { kind: 'latency'; ratePerSec: number })
  | (CaseBase & { kind: 'rebalance'; protocol: RebalanceProtocol; ratePerSec: number; windowMs: number })

/** Records of the share-group case: about 40 s for the slowest share consumer measured (2,600 msg/s). */
const SHARE_MESSAGES = 100_000

/** A tenth of a throughput case, at least 1,000 records (or all of them): enough for JITs and page caches. */
const warmupFor = (messages: number) => Math.min(messages, Math.max(1000, Math.round(messages / 10)))

export function buildCases(options: CaseOptions): BenchCase[] {
  const { partitions, batchBytes } = options
  const produce = (name: string, messages: number, sizeBytes: number, parts = partitions): BenchCase => ({
    kind: 'produce',
    name,
    description: `produce ${messages} × ${sizeLabel(sizeBytes)} to ${parts} partitions, acks=all`,
    messages,
    sizeBytes,
    partitions: parts,
    batchBytes,
    warmupMessages: warmupFor(messages),
  })
  const consume = (
    name: string,
    commit: CommitPolicy,
    messages: number,
    description: string,
    share = false,
  ): BenchCase => ({
    ...(share ? { share } : {}),
    kind: 'consume',
    name,
    description,
    messages,
    sizeBytes: 100,
    partitions,
    commit,
    backlog: 'consume',
    backlogMessages: options.messages,
    warmupMessages: warmupFor(messages),
  })
  const commitLabels: Record<Exclude<CommitPolicy, 'none'>, string> = {
    auto: 'auto-commit every 5 s',
    batch: 'commit after each processed batch',
    message: 'commit after every message',
  }
  return [
    produce('produce-100B', options.messages, 100),
    produce('produce-1KB', options.largeMessages, 1024),
    consume(
      'consume-100B',
      'none',
      options.messages,
      `consume ${options.messages} × 100 B from ${partitions} partitions in a group, no commits`,
    ),
    // The no-commit reference of the commit policies is consume-100B itself (same backlog, same count).
    ...(['auto', 'batch', 'message'] as const).map((commit) => {
      const messages =
        commit === 'message' ? Math.min(options.commitMessages, options.messages) : options.messages
      return consume(
        `consume-commit-${commit}`,
        commit,
        messages,
        `consume ${messages} × 100 B of the consume-100B backlog, ${commitLabels[commit]}`,
      )
    }),
    // The first records of the same backlog, read by one member of a fresh share group that accepts each
    // record (KIP-932). Share consumers are an order of magnitude slower than group consumers (the broker
    // tracks every record), so the case reads at most SHARE_MESSAGES.
    consume(
      'share-consume-100B',
      'none',
      Math.min(SHARE_MESSAGES, options.messages),
      `consume ${Math.min(SHARE_MESSAGES, options.messages)} × 100 B of the consume-100B backlog as one member of a share group, accepting each record`,
      true,
    ),
    {
      kind: 'latency',
      name: 'latency-10k',
      description: `end-to-end latency at ${options.latencyRatePerSec} msg/s for ${options.latencySeconds} s, 100 B`,
      messages: options.latencyRatePerSec * options.latencySeconds,
      sizeBytes: 100,
      partitions,
      ratePerSec: options.latencyRatePerSec,
      // One second at the case's rate: JIT and connections warm, the broker's segment files open.
      warmupMessages: options.latencyRatePerSec,
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
        // A pause is not a steady state that a warmer JIT shortens; member A's own join warms the client.
        warmupMessages: 0,
      }),
    ),
  ]
}

/** `--scaling`: how throughput moves with partition count and record size, and memory with backlog size. */
export interface ScalingOptions {
  messages: number
  batchBytes: number
  /** Payload bytes per record-size case (the record count is this divided by the size, at most `messages`). */
  bytesPerCase: number
}

export const SCALING_PARTITIONS = [1, 6, 60, 600] as const
export const SCALING_SIZES = [10, 100, 1024, 10_240, 102_400] as const
/** Backlog sizes of the memory cases, as multiples of `messages`. */
export const SCALING_BACKLOGS = [0.1, 1, 3] as const

export function sizeLabel(sizeBytes: number): string {
  return sizeBytes >= 1024 ? `${sizeBytes / 1024} KiB` : `${sizeBytes} B`
}

export function buildScalingCases(options: ScalingOptions): BenchCase[] {
  const cases: BenchCase[] = []
  const common = (
    name: string,
    description: string,
    messages: number,
    sizeBytes: number,
    partitions: number,
  ) => ({
    name,
    description,
    messages,
    sizeBytes,
    partitions,
    warmupMessages: 0,
  })
  const both = (tag: string, messages: number, sizeBytes: number, partitions: number) => {
    cases.push({
      kind: 'produce',
      ...common(
        `scale-${tag}-produce`,
        `produce ${messages} × ${sizeLabel(sizeBytes)} to ${partitions} partitions`,
        messages,
        sizeBytes,
        partitions,
      ),
      batchBytes: options.batchBytes,
    })
    cases.push({
      kind: 'consume',
      ...common(
        `scale-${tag}-consume`,
        `consume ${messages} × ${sizeLabel(sizeBytes)} from ${partitions} partitions`,
        messages,
        sizeBytes,
        partitions,
      ),
      commit: 'none',
      backlog: `scale-${tag}`,
      backlogMessages: messages,
    })
  }
  const halfMessages = Math.max(1, Math.round(options.messages / 2))
  for (const partitions of SCALING_PARTITIONS) both(`partitions-${partitions}`, halfMessages, 100, partitions)
  for (const size of SCALING_SIZES) {
    const messages = Math.max(100, Math.min(options.messages, Math.round(options.bytesPerCase / size)))
    both(`size-${size}B`, messages, size, 6)
  }
  for (const factor of SCALING_BACKLOGS) {
    const messages = Math.max(1, Math.round(options.messages * factor))
    cases.push({
      kind: 'consume',
      ...common(
        `scale-backlog-${messages}-consume`,
        `peak RSS consuming a backlog of ${messages} × 100 B from 6 partitions`,
        messages,
        100,
        6,
      ),
      commit: 'none',
      backlog: `scale-backlog-${messages}`,
      backlogMessages: messages,
    })
  }
  return cases
}
