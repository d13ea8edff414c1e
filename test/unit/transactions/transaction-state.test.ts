import { describe, expect, it } from 'vitest'
import {
  canTransition,
  stateProblem,
  type TransactionState,
} from '../../../src/producer/transactions/transaction-state.ts'

const states: TransactionState[] = [
  'uninitialized',
  'initializing',
  'ready',
  'in-transaction',
  'committing',
  'aborting',
  'abortable-error',
  'fatal-error',
]

describe('transaction state transitions', () => {
  it('follows init → ready → in-transaction → committing/aborting → ready', () => {
    expect(canTransition('uninitialized', 'initializing')).toBe(true)
    expect(canTransition('initializing', 'ready')).toBe(true)
    expect(canTransition('ready', 'in-transaction')).toBe(true)
    expect(canTransition('in-transaction', 'committing')).toBe(true)
    expect(canTransition('committing', 'ready')).toBe(true)
    expect(canTransition('in-transaction', 'aborting')).toBe(true)
    expect(canTransition('aborting', 'ready')).toBe(true)
  })

  it('lets a failed transaction only abort', () => {
    expect(canTransition('in-transaction', 'abortable-error')).toBe(true)
    expect(canTransition('committing', 'abortable-error')).toBe(true)
    expect(canTransition('abortable-error', 'aborting')).toBe(true)
    expect(canTransition('abortable-error', 'committing')).toBe(false)
    expect(canTransition('abortable-error', 'in-transaction')).toBe(false)
  })

  it('never leaves fatal-error, and never skips initialization', () => {
    for (const state of states) {
      if (state !== 'fatal-error') expect(canTransition('fatal-error', state)).toBe(false)
    }
    expect(canTransition('uninitialized', 'in-transaction')).toBe(false)
    expect(canTransition('uninitialized', 'ready')).toBe(false)
    expect(canTransition('ready', 'committing')).toBe(false)
  })
})

describe('state problems, as users read them', () => {
  it('allows each operation exactly in its states', () => {
    const allowed = (operation: Parameters<typeof stateProblem>[0]) =>
      states.filter((state) => stateProblem(operation, state) === null)
    expect(allowed('initTransactions')).toEqual(['uninitialized'])
    expect(allowed('beginTransaction')).toEqual(['ready'])
    expect(allowed('send')).toEqual(['in-transaction'])
    expect(allowed('sendOffsetsToTransaction')).toEqual(['in-transaction'])
    expect(allowed('commitTransaction')).toEqual(['in-transaction', 'committing'])
    expect(allowed('abortTransaction')).toEqual(['in-transaction', 'aborting', 'abortable-error'])
  })

  it('names the missing step', () => {
    expect(stateProblem('beginTransaction', 'uninitialized')).toMatch(
      /initTransactions\(\) before beginTransaction/,
    )
    expect(stateProblem('send', 'ready')).toMatch(/call beginTransaction\(\) first/)
    expect(stateProblem('commitTransaction', 'ready')).toMatch(/no open transaction to commit/)
    expect(stateProblem('abortTransaction', 'committing')).toMatch(/call commitTransaction\(\) again/)
    expect(stateProblem('beginTransaction', 'in-transaction')).toMatch(/already open/)
  })
})
