/** The chaos checker must see each anomaly it claims to classify, and pass a clean history. */

import { describe, expect, it } from 'vitest'
import { type CheckInput, check } from '../../../chaos/harness/checker.ts'
import type { LedgerEntry } from '../../../chaos/harness/ledger.ts'

const produced = new Map(
  Array.from({ length: 10 }, (_, i) => [`r${i}`, { partition: 0, offset: BigInt(i) }] as const),
)

let seq = 0
const p = (process: string, time: number, offset: number, id = `r${offset}`): LedgerEntry => ({
  kind: 'processed',
  process,
  seq: seq++,
  time,
  partition: 0,
  offset: BigInt(offset),
  id,
})
const assigned = (process: string, time: number): LedgerEntry => ({
  kind: 'assigned',
  process,
  seq: seq++,
  time,
  partitions: [0],
})

function input(entries: LedgerEntry[], overrides: Partial<CheckInput> = {}): CheckInput {
  return {
    guarantee: 'at-least-once',
    ordering: 'partition',
    produced,
    aborted: new Set(['x1']),
    entries,
    commits: [],
    backwardsCommits: 0,
    ...overrides,
  }
}

const straight = (process: string, from: number, to: number, time = 100): LedgerEntry[] =>
  Array.from({ length: to - from }, (_, i) => p(process, time + i, from + i))

describe('chaos checker', () => {
  it('passes a clean history', () => {
    const result = check(input([assigned('a', 0), ...straight('a', 0, 10)]))
    expect(result).toMatchObject({ lost: 0, duplicated: 0, nonMonotonic: 0, passed: true })
  })

  it('counts lost records and fails at-least-once for them, but not at-most-once within its allowance', () => {
    const entries = [assigned('a', 0), ...straight('a', 0, 8)]
    expect(check(input(entries))).toMatchObject({ lost: 2, passed: false })
    expect(check(input(entries, { guarantee: 'at-most-once', maxInFlightLoss: 2 }))).toMatchObject({
      lost: 2,
      passed: true,
    })
    expect(check(input(entries, { guarantee: 'at-most-once', maxInFlightLoss: 1 })).passed).toBe(false)
  })

  it('measures a re-delivery against the uncommitted window', () => {
    // a processes 0..6 with 3 committed, dies; b resumes at 3: a rewind of 4 within an uncommitted 4.
    const entries = [
      assigned('a', 0),
      ...straight('a', 0, 7),
      assigned('b', 200),
      ...straight('b', 3, 10, 300),
    ]
    const commits = [{ time: 104, partition: 0, offset: 3n }]
    const result = check(input(entries, { commits }))
    // The window peaks at 7 later (b runs to 9 while 3 is still the last commit seen).
    expect(result).toMatchObject({
      duplicated: 4,
      maxDuplicateWindow: 4,
      maxUncommittedWindow: 7,
      passed: true,
    })
    expect(check(input(entries, { commits, guarantee: 'at-most-once' })).passed).toBe(false)
  })

  it('flags a rewind past a commit made before the assignment', () => {
    const entries = [
      assigned('a', 0),
      ...straight('a', 0, 7),
      assigned('b', 200),
      ...straight('b', 1, 10, 300),
    ]
    const result = check(input(entries, { commits: [{ time: 150, partition: 0, offset: 5n }] }))
    expect(result.nonMonotonic).toBe(4)
    expect(result.notes).toContain('4 re-deliveries reached below the offset committed at the time')
    expect(result.passed).toBe(false)
  })

  it("measures a zombie's re-deliveries against the commit its successor started from", () => {
    // a owns the partition from 0, commits 3, then the group hands it to b without a noticing: b resumes at
    // 3 and commits 8 while a, a zombie, still works through 6..7 it had fetched.
    const entries = [
      assigned('a', 0),
      ...straight('a', 0, 6),
      assigned('b', 200),
      ...straight('b', 3, 8, 210),
      p('a', 240, 6),
      p('a', 241, 7),
      ...straight('b', 8, 10, 250),
    ]
    const commits = [
      { time: 104, partition: 0, offset: 3n },
      { time: 230, partition: 0, offset: 8n },
    ]
    expect(check(input(entries, { commits }))).toMatchObject({ duplicated: 5, passed: true })
    // The same re-deliveries by a process assigned the partition after the commit of 8 rewound past it.
    const rewound = [
      assigned('a', 0),
      ...straight('a', 0, 6),
      assigned('b', 200),
      ...straight('b', 3, 8, 210),
      assigned('c', 235),
      p('c', 240, 6),
      p('c', 241, 7),
      ...straight('c', 8, 10, 250),
    ]
    const result = check(input(rewound, { commits }))
    expect(result.notes).toContain('2 re-deliveries reached below the offset committed at the time')
    expect(result.passed).toBe(false)
  })

  it('flags a step backwards inside one assignment with ordering partition only', () => {
    const entries = [assigned('a', 0), p('a', 1, 0), p('a', 2, 2), p('a', 3, 1), ...straight('a', 3, 10, 10)]
    expect(check(input(entries)).nonMonotonic).toBe(1)
    expect(check(input(entries, { ordering: 'none' })).nonMonotonic).toBe(0)
  })

  it('counts aborted reads and passes backwards commits through', () => {
    const entries = [assigned('a', 0), ...straight('a', 0, 10), p('a', 50, 11, 'x1')]
    expect(check(input(entries, { backwardsCommits: 1 }))).toMatchObject({
      abortedReads: 1,
      backwardsCommits: 1,
      passed: false,
    })
  })

  it('exactly-once reads the sink: duplicates, torn transactions and losses there', () => {
    const outputs = Array.from({ length: 9 }, (_, i) => [`r${i}#a`, `r${i}#b`]).flat()
    outputs.push('r0#a') // a duplicate
    outputs.splice(outputs.indexOf('r5#b'), 1) // torn
    const result = check(input([], { guarantee: 'exactly-once', sink: { outputs, parts: 2 } }))
    expect(result).toMatchObject({ lost: 1, duplicated: 1, tornTransactions: 1, passed: false })
  })
})
