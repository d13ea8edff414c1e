/**
 * The small protocol between the benchmark runner and each client adapter. The runner starts one child
 * process per measurement, passing a {@link BenchTask} as JSON in argv; the child does the work with its
 * client and prints one line `BENCH-RESULT <json>` ({@link ChildReport}) on stdout. Running every client in
 * its own process keeps peak RSS per client and keeps one client's garbage collector out of another's run.
 */

/** What a consumer commits, from cheapest to safest. */
export type CommitPolicy = 'none' | 'auto' | 'batch' | 'message'

export const COMMIT_POLICIES: readonly CommitPolicy[] = ['none', 'auto', 'batch', 'message']

/** Produce `messages` records of `sizeBytes` bytes each (null key, so the client's partitioner spreads them). */
export interface ProduceTask {
  kind: 'produce'
  bootstrap: string
  topic: string
  /** Partitions of `topic`. */
  partitions: number
  messages: number
  sizeBytes: number
  /**
   * Payload bytes per partition in one produce request: the batch size of clients that batch on their own,
   * and (times `partitions`) the size of one `send()` call for clients that send what each call carries
   * ({@link callShape}).
   */
  batchBytes: number
}

/** Produce requests the clients that batch per call keep in flight: the Java client's and samsa's default. */
export const CALLS_IN_FLIGHT = 5

/**
 * How a client that sends one produce request per `send()` call (kafkajs, platformatic) is driven so that
 * its requests carry as many bytes as samsa's: `batchBytes` per partition, all partitions in one call, at
 * most {@link CALLS_IN_FLIGHT} calls outstanding. Capped so a short run still has 20 calls to pipeline.
 */
export function callShape(task: ProduceTask): { recordsPerCall: number; callsInFlight: number } {
  const matched = Math.round((task.batchBytes * task.partitions) / task.sizeBytes)
  const cap = Math.ceil(task.messages / 20)
  return { recordsPerCall: Math.max(1, Math.min(matched, cap)), callsInFlight: CALLS_IN_FLIGHT }
}

/** Consume `messages` records from the start of `topic` as member of the fresh group `group`. */
export interface ConsumeTask {
  kind: 'consume'
  bootstrap: string
  topic: string
  partitions: number
  messages: number
  /** Size of each value in the backlog, for clients that count records but not bytes. */
  sizeBytes: number
  group: string
  commit: CommitPolicy
  /**
   * Consume as a member of the share group `group` (KIP-932) instead, accepting every record (implicit
   * acknowledgement); `commit` does not apply. The runner sets the group's `share.auto.offset.reset` to
   * `earliest` before the client starts.
   */
  share?: boolean
}

/**
 * Produce at `ratePerSec` until `messages` were sent, consuming them in the same process; each value carries
 * its send time, so the consumer measures end-to-end latency.
 */
export interface LatencyTask {
  kind: 'latency'
  bootstrap: string
  topic: string
  partitions: number
  messages: number
  sizeBytes: number
  ratePerSec: number
  group: string
}

/**
 * The producer linger of every latency client that has one (samsa, confluent, @kafkats/client). The Node
 * peers without a linger send each tick's call at once, so a client lingering 5 ms (the Java default)
 * would be measured for its setting, not its path; with 0 the records of one tick still go out together.
 */
export const LATENCY_LINGER_MS = 0

/** How the group moves partitions when a member joins. */
export type RebalanceProtocol = 'eager' | 'cooperative' | 'consumer'

/**
 * Two members of one group in one process, records arriving on every partition at `ratePerSec`: member A
 * consumes alone until it has seen every partition, then member B joins. The measurement is the longest time
 * any partition went without a record being processed during `windowMs` after B started: how long the join
 * stopped processing.
 */
export interface RebalanceTask {
  kind: 'rebalance'
  bootstrap: string
  topic: string
  partitions: number
  sizeBytes: number
  group: string
  protocol: RebalanceProtocol
  ratePerSec: number
  windowMs: number
}

export type BenchTask = ProduceTask | ConsumeTask | LatencyTask | RebalanceTask

/** Settings a client ran with, listed in the report next to its numbers. */
export type Settings = Record<string, string | number | boolean>

/** One measurement, as a child reports it. */
export interface Measurement {
  /** Wall time of the measured part, in ms (see each case for where the clock starts and stops). */
  elapsedMs: number
  messages: number
  /** Payload bytes (values only) moved in the measured part. */
  bytes: number
  /** End-to-end latencies (latency case only), in ms. */
  p50Ms: number | null
  p99Ms: number | null
  p999Ms: number | null
  /** Rebalance case only: the longest processing pause, in ms. */
  pauseMs?: number | null
}

export interface ChildReport extends Measurement {
  client: string
  version: string
  settings: Settings
  /** Peak resident set size of the child process, in MiB; null when it could not be observed. */
  peakRssMb: number | null
}

export const RESULT_PREFIX = 'BENCH-RESULT '
export const UNSUPPORTED_PREFIX = 'BENCH-UNSUPPORTED '

/** Thrown by an adapter for a case its client cannot do (yet); the report shows the reason instead of a number. */
export class NotMeasurable extends Error {}

/** Throws when the argv payload is not a task; the runner is the only caller, so this is a sanity check. */
export function parseTask(argv: readonly string[]): BenchTask {
  const raw = argv[2]
  if (raw === undefined) throw new Error('usage: <adapter> <task-json>')
  const task = JSON.parse(raw) as BenchTask
  if (!['produce', 'consume', 'latency', 'rebalance'].includes(task.kind)) {
    throw new Error(`unknown task kind ${(task as { kind: unknown }).kind}`)
  }
  return task
}

/** What one Node adapter implements. A case the client cannot do is left undefined. */
export interface ClientAdapter {
  client: string
  version: string
  produce(task: ProduceTask): Promise<Measurement & { settings: Settings }>
  consume(task: ConsumeTask): Promise<Measurement & { settings: Settings }>
  latency(task: LatencyTask): Promise<Measurement & { settings: Settings }>
  rebalance?(task: RebalanceTask): Promise<Measurement & { settings: Settings }>
  /** The share-group case ({@link ConsumeTask.share}); undefined for clients without a share consumer. */
  shareConsume?(task: ConsumeTask): Promise<Measurement & { settings: Settings }>
}

function runTask(adapter: ClientAdapter, task: BenchTask): Promise<Measurement & { settings: Settings }> {
  switch (task.kind) {
    case 'produce':
      return adapter.produce(task)
    case 'consume':
      if (task.share === true) {
        if (adapter.shareConsume === undefined) {
          return Promise.reject(new NotMeasurable(`${adapter.client} has no share consumer (KIP-932)`))
        }
        return adapter.shareConsume(task)
      }
      return adapter.consume(task)
    case 'latency':
      return adapter.latency(task)
    case 'rebalance':
      if (adapter.rebalance === undefined) {
        return Promise.reject(new NotMeasurable(`${adapter.client} has no rebalance scenario in the harness`))
      }
      return adapter.rebalance(task)
  }
}

/**
 * The entry point of a Node adapter: runs the task from argv, prints the report line, and exits (clients
 * that leave timers or sockets behind must not keep the benchmark waiting).
 */
export async function runAdapter(adapter: ClientAdapter): Promise<void> {
  try {
    const task = parseTask(process.argv)
    const measured = await runTask(adapter, task)
    const report: ChildReport = {
      ...measured,
      client: adapter.client,
      version: adapter.version,
      // maxRSS is in KiB on Linux.
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(report)}\n`, () => process.exit(0))
  } catch (error) {
    if (error instanceof NotMeasurable) {
      process.stdout.write(`${UNSUPPORTED_PREFIX}${error.message}\n`, () => process.exit(0))
      return
    }
    process.stderr.write(`${adapter.client}: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exit(1)
  }
}
