/**
 * Classifies what a chaos run did, in the categories Jepsen's analyses of Kafka-compatible systems use:
 * - lost: a committed source record that was never processed (exactly-once: never reached the sink);
 * - duplicated: extra processings (exactly-once: extra copies in the sink), with the deepest rewind behind
 *   them (maxDuplicateWindow); each re-delivery must stay within what was uncommitted at its moment (the
 *   furthest offset processed minus the last commit the monitor saw; for a zombie, the commit its successor
 *   started from: see windows()), and the largest such window over the run is reported as
 *   maxUncommittedWindow;
 * - aborted reads: a record of an aborted source transaction that was processed or reached the sink;
 * - torn transactions: an input of which only some of the outputs its transaction wrote are visible;
 * - non-monotonic: within one assignment of a partition to one process, a step backwards (ordering
 *   'partition' only: with 'key' or 'none' offsets interleave by design), or a record processed below an
 *   offset the group had already committed before the assignment began (a consumer rewinding past a commit).
 * Backwards commits are counted by the offset monitor and only passed through.
 */

import type { LedgerEntry, ProcessedEntry } from './ledger.ts'
import type { Guarantee, Ordering } from './types.ts'

/** A committed offset as the monitor saw it. */
export interface CommitObservation {
  time: number
  partition: number
  offset: bigint
}

export interface SourceRecord {
  partition: number
  offset: bigint
}

export interface CheckInput {
  guarantee: Guarantee
  ordering: Ordering
  /** Every record the source committed, by id. */
  produced: ReadonlyMap<string, SourceRecord>
  /** Ids the source wrote inside transactions it aborted. */
  aborted: ReadonlySet<string>
  entries: readonly LedgerEntry[]
  commits: readonly CommitObservation[]
  backwardsCommits: number
  /**
   * Exactly-once only: every output the sink holds, as `<id>#<part>`, and how many parts each input writes.
   * The sink, not the ledger, is the truth for exactly-once: the ledger also shows aborted attempts.
   */
  sink?: { outputs: readonly string[]; parts: number }
  /**
   * At-most-once: how many records the faults could have caught in flight (committed, not yet processed);
   * more lost than this is a failure, not the guarantee's price.
   */
  maxInFlightLoss?: number
}

export interface CheckResult {
  produced: number
  lost: number
  duplicated: number
  maxDuplicateWindow: number
  maxUncommittedWindow: number
  backwardsCommits: number
  abortedReads: number
  tornTransactions: number
  nonMonotonic: number
  passed: boolean
  notes: string[]
}

const byTime = (a: LedgerEntry, b: LedgerEntry) =>
  a.time - b.time || (a.process < b.process ? -1 : a.process > b.process ? 1 : a.seq - b.seq)

export function check(input: CheckInput): CheckResult {
  const notes: string[] = []
  const processed = input.entries.filter((e): e is ProcessedEntry => e.kind === 'processed')
  const counts = new Map<string, number>()
  for (const entry of processed) counts.set(entry.id, (counts.get(entry.id) ?? 0) + 1)

  let lost = 0
  let duplicated = 0
  let abortedReads = 0
  let tornTransactions = 0
  if (input.sink === undefined) {
    for (const id of input.produced.keys()) if (!counts.has(id)) lost++
    for (const [id, count] of counts) {
      if (input.aborted.has(id)) abortedReads += count
      else if (count > 1) duplicated += count - 1
    }
  } else {
    const copies = new Map<string, number>()
    const partsOf = new Map<string, Set<string>>()
    for (const output of input.sink.outputs) {
      copies.set(output, (copies.get(output) ?? 0) + 1)
      const [id, part] = output.split('#') as [string, string]
      const parts = partsOf.get(id) ?? new Set<string>()
      partsOf.set(id, parts)
      parts.add(part)
    }
    for (const copiesOfOne of copies.values()) if (copiesOfOne > 1) duplicated += copiesOfOne - 1
    for (const [id, parts] of partsOf) {
      if (input.aborted.has(id)) abortedReads++
      else if (parts.size < input.sink.parts) tornTransactions++
    }
    for (const id of input.produced.keys()) if (!partsOf.has(id)) lost++
    // What members read but may not have: aborted source records (read_committed must hide them).
    for (const entry of processed) if (input.aborted.has(entry.id)) abortedReads++
  }

  const byProcess = ledgersByProcess(input.entries)
  const { maxDuplicateWindow, maxUncommittedWindow, beyondWindow } = windows(
    processed,
    byProcess,
    input.commits,
  )
  const nonMonotonic = monotonicityViolations(input, byProcess, notes)

  const failures: string[] = []
  if (input.backwardsCommits > 0) failures.push(`${input.backwardsCommits} committed offsets moved backwards`)
  if (abortedReads > 0) failures.push(`${abortedReads} reads of aborted records`)
  if (nonMonotonic > 0) failures.push(`${nonMonotonic} non-monotonic reads`)
  if (input.guarantee !== 'at-most-once' && lost > 0) failures.push(`${lost} records lost`)
  if (input.guarantee === 'at-most-once' && lost > (input.maxInFlightLoss ?? 0)) {
    failures.push(
      `${lost} records lost, more than the ${input.maxInFlightLoss ?? 0} the faults could catch in flight`,
    )
  }
  if (input.guarantee !== 'at-least-once' && duplicated > 0) failures.push(`${duplicated} duplicates`)
  if (tornTransactions > 0) failures.push(`${tornTransactions} torn transactions`)
  if (beyondWindow > 0) {
    failures.push(`${beyondWindow} re-deliveries reached below the offset committed at the time`)
  }
  if (input.produced.size === 0) failures.push('nothing was produced')
  notes.push(...failures)
  return {
    produced: input.produced.size,
    lost,
    duplicated,
    maxDuplicateWindow,
    maxUncommittedWindow,
    backwardsCommits: input.backwardsCommits,
    abortedReads,
    tornTransactions,
    nonMonotonic,
    passed: failures.length === 0,
    notes,
  }
}

/**
 * The re-delivery windows of each partition. A re-delivery is measured against the last commit the monitor
 * saw before it, with one exception: a process still working through an assignment that the group has
 * since handed to another process (a member the coordinator dropped and that has not noticed yet: a zombie)
 * is measured against the commit its successor started from. Kafka cannot stop a zombie from processing
 * what it already fetched, only from committing it; its successor's commits are not its own window.
 */
function windows(
  processed: readonly ProcessedEntry[],
  byProcess: ReadonlyMap<string, readonly LedgerEntry[]>,
  commits: readonly CommitObservation[],
): { maxDuplicateWindow: number; maxUncommittedWindow: number; beyondWindow: number } {
  let beyondWindow = 0
  let maxDuplicateWindow = 0
  let maxUncommittedWindow = 0
  const { starts, started } = sessions(byProcess)
  const partitions = new Set(processed.map((e) => e.partition))
  for (const partition of partitions) {
    const partitionEntries = processed.filter((e) => e.partition === partition).sort(byTime)
    const observed = commits.filter((c) => c.partition === partition).sort((a, b) => a.time - b.time)
    // The last observation before `time` (binary search: a run has thousands of entries and observations).
    const committedBefore = (time: number): bigint => {
      let low = 0
      let high = observed.length
      while (low < high) {
        const middle = (low + high) >> 1
        if (observed[middle]!.time < time) low = middle + 1
        else high = middle
      }
      return low === 0 ? 0n : observed[low - 1]!.offset
    }
    const handovers = starts.filter((s) => s.partition === partition)
    const seen = new Set<string>()
    let furthest = -1n
    for (const entry of partitionEntries) {
      const ownStart = started.get(entry) ?? entry.time
      // The latest hand-over of the partition to another process since this process's assignment began.
      const successor = handovers
        .filter((h) => h.process !== entry.process && h.time > ownStart && h.time <= entry.time)
        .at(-1)
      const committed = committedBefore(successor === undefined ? entry.time + 1 : successor.time)
      if (seen.has(entry.id) && entry.offset <= furthest) {
        const depth = Number(furthest - entry.offset + 1n)
        maxDuplicateWindow = Math.max(maxDuplicateWindow, depth)
        // What was uncommitted at this moment, as far as the monitor had seen (a lagging observation only
        // widens it): a re-delivery deeper than that rewound past a commit.
        if (depth > Number(furthest + 1n - committed)) beyondWindow++
      }
      seen.add(entry.id)
      if (entry.offset > furthest) furthest = entry.offset
      maxUncommittedWindow = Math.max(maxUncommittedWindow, Number(furthest + 1n - committed))
    }
  }
  return { maxDuplicateWindow, maxUncommittedWindow, beyondWindow }
}

/** Each process's ledger entries, in the order it wrote them. */
function ledgersByProcess(entries: readonly LedgerEntry[]): Map<string, LedgerEntry[]> {
  const byProcess = new Map<string, LedgerEntry[]>()
  for (const entry of entries) {
    const list = byProcess.get(entry.process) ?? []
    byProcess.set(entry.process, list)
    list.push(entry)
  }
  for (const list of byProcess.values()) list.sort((a, b) => a.seq - b.seq)
  return byProcess
}

/** Every assignment of a partition to a process, and for each processed entry when its assignment began. */
function sessions(byProcess: ReadonlyMap<string, readonly LedgerEntry[]>): {
  starts: { process: string; partition: number; time: number }[]
  started: Map<ProcessedEntry, number>
} {
  const starts: { process: string; partition: number; time: number }[] = []
  const started = new Map<ProcessedEntry, number>()
  for (const [process, list] of byProcess) {
    const since = new Map<number, number>()
    for (const entry of list) {
      if (entry.kind === 'assigned') {
        for (const partition of entry.partitions) {
          since.set(partition, entry.time)
          starts.push({ process, partition, time: entry.time })
        }
      } else if (entry.kind === 'revoked') {
        for (const partition of entry.partitions) since.delete(partition)
      } else if (entry.kind === 'processed') {
        const start = since.get(entry.partition)
        if (start !== undefined) started.set(entry, start)
      }
    }
  }
  starts.sort((a, b) => a.time - b.time)
  return { starts, started }
}

/** Counts steps backwards inside an assignment and reads below the commit that preceded the assignment. */
function monotonicityViolations(
  input: CheckInput,
  byProcess: ReadonlyMap<string, readonly LedgerEntry[]>,
  notes: string[],
): number {
  const commits = [...input.commits].sort((a, b) => a.time - b.time)
  const committedBefore = (partition: number, time: number): bigint => {
    let offset = 0n
    for (const c of commits) {
      if (c.time >= time) break
      if (c.partition === partition) offset = c.offset
    }
    return offset
  }
  const checkSteps = input.ordering === 'partition' && input.guarantee !== 'exactly-once'
  let violations = 0
  for (const [process, entries] of byProcess) {
    // Per partition: the floor set by the commit before the assignment, and the last offset processed.
    const sessions = new Map<number, { floor: bigint; last: bigint }>()
    for (const entry of entries) {
      if (entry.kind === 'assigned') {
        for (const p of entry.partitions) {
          sessions.set(p, { floor: committedBefore(p, entry.time), last: -1n })
        }
        continue
      }
      if (entry.kind === 'revoked') {
        for (const p of entry.partitions) sessions.delete(p)
        continue
      }
      if (entry.kind !== 'processed') continue
      const session = sessions.get(entry.partition)
      if (session === undefined) continue
      if (entry.offset < session.floor) {
        violations++
        if (violations <= 3) {
          notes.push(
            `${process} processed ${entry.partition}:${entry.offset} below the committed ${session.floor}`,
          )
        }
      } else if (checkSteps && entry.offset <= session.last) {
        violations++
        if (violations <= 3) {
          notes.push(
            `${process} went from ${entry.partition}:${session.last} back to ${entry.offset} in one assignment`,
          )
        }
      }
      if (entry.offset > session.last) session.last = entry.offset
    }
  }
  return violations
}
