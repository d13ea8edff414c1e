/**
 * Measures how long a rebalance stops processing: the longest time any partition went without a record
 * being processed, from the moment the second member starts until the end of the window. Records arrive on
 * every partition many times a second, so outside a rebalance the longest gap is a few fetch cycles.
 */
export class PauseTracker {
  private readonly lastSeen: Float64Array
  private readonly everSeen: boolean[]
  private windowStart = Number.POSITIVE_INFINITY
  private longestGap = 0

  constructor(partitions: number) {
    this.lastSeen = new Float64Array(partitions)
    this.everSeen = new Array<boolean>(partitions).fill(false)
  }

  /** A record of `partition` was processed now. */
  seen(partition: number, now = performance.now()): void {
    if (now > this.windowStart) {
      const since = Math.max(this.lastSeen[partition] ?? 0, this.windowStart)
      this.longestGap = Math.max(this.longestGap, now - since)
    }
    this.lastSeen[partition] = now
    this.everSeen[partition] = true
  }

  /** True once every partition has had a record processed. */
  get allSeen(): boolean {
    return this.everSeen.every(Boolean)
  }

  /** Starts the measured window (the second member is about to join). */
  startWindow(now = performance.now()): void {
    this.windowStart = now
  }

  /** The longest pause in the window so far, counting partitions still waiting at `now`. */
  pauseMs(now = performance.now()): number {
    let longest = this.longestGap
    for (let partition = 0; partition < this.lastSeen.length; partition++) {
      longest = Math.max(longest, now - Math.max(this.lastSeen[partition] ?? 0, this.windowStart))
    }
    return longest
  }
}

/** Resolves when `condition` holds, polling every 20 ms; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** What an adapter provides for the rebalance scenario; {@link measureRebalance} drives it. */
export interface RebalanceParts {
  /** Starts one group member that calls `onRecord` for each record it processes; resolves once it is started. */
  startMember(onRecord: (partition: number) => void): Promise<{ stop(): Promise<void> }>
  /** Sends one record to `partition` without waiting for it. */
  send(partition: number, value: Buffer): void
  /** Flushes and closes the producer. */
  closeProducer(): Promise<void>
}

/**
 * The rebalance scenario: records go round-robin to every partition at `ratePerSec`; member A starts and
 * processes alone until it has seen every partition; then member B starts and the window opens.
 */
export async function measureRebalance(
  task: { partitions: number; ratePerSec: number; windowMs: number; sizeBytes: number },
  parts: RebalanceParts,
): Promise<{ elapsedMs: number; messages: number; bytes: number; pauseMs: number }> {
  const tracker = new PauseTracker(task.partitions)
  let processed = 0
  const partitionsOfSecond = new Set<number>()
  const onRecord = (partition: number) => {
    processed++
    tracker.seen(partition)
  }
  const onRecordOfSecond = (partition: number) => {
    partitionsOfSecond.add(partition)
    onRecord(partition)
  }
  const value = Buffer.alloc(task.sizeBytes, 0x61)
  let sent = 0
  const start = performance.now()
  const producing = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * task.ratePerSec) / 1000)
    for (; sent < due; sent++) parts.send(sent % task.partitions, value)
  }, 5)
  const members: { stop(): Promise<void> }[] = []
  try {
    members.push(await parts.startMember(onRecord))
    await waitUntil(() => tracker.allSeen, 60_000, 'the first member to process every partition')
    const windowStart = performance.now()
    tracker.startWindow(windowStart)
    members.push(await parts.startMember(onRecordOfSecond))
    await sleep(Math.max(0, windowStart + task.windowMs - performance.now()))
    const pauseMs = tracker.pauseMs()
    // Without this check a join that never completed would look like a rebalance without a pause.
    if (partitionsOfSecond.size === 0) {
      throw new Error(
        `the second member processed nothing within ${task.windowMs} ms: the rebalance did not finish`,
      )
    }
    return { elapsedMs: task.windowMs, messages: processed, bytes: processed * task.sizeBytes, pauseMs }
  } finally {
    clearInterval(producing)
    await Promise.allSettled(members.map((member) => member.stop()))
    await parts.closeProducer()
  }
}
