import { describe, expect, it } from 'vitest'
import {
  BrokerError,
  CommitFailedError,
  ConnectionError,
  ProducerFencedError,
  TransactionAbortableError,
} from '../../../src/common/errors.ts'
import {
  abortableError,
  failureKind,
  isStaleMemberCode,
  transactionErrorForCode,
} from '../../../src/producer/transactions/transaction-errors.ts'
import { finalizedTransactionVersion } from '../../../src/producer/transactions/transaction-version.ts'

describe('transaction error classification', () => {
  it('turns PRODUCER_FENCED and INVALID_PRODUCER_EPOCH into ProducerFencedError naming the transactional id', () => {
    for (const code of [90, 47]) {
      const error = transactionErrorForCode(code, 'billing-1')
      expect(error).toBeInstanceOf(ProducerFencedError)
      expect(error!.message).toContain('"billing-1"')
      expect(error!.retriable).toBe(false)
      expect(failureKind(error)).toBe('fenced')
    }
  })

  it('keeps CONCURRENT_TRANSACTIONS and coordinator moves retriable', () => {
    for (const code of [51, 14, 15, 16]) {
      const error = transactionErrorForCode(code, 't')!
      expect(error.retriable).toBe(true)
      expect(failureKind(error)).toBe('abortable')
    }
    expect(failureKind(new ConnectionError('broken'))).toBe('abortable')
  })

  it('treats an unusable transactional id as fatal', () => {
    for (const code of [48, 49, 50, 52, 53]) {
      expect(failureKind(transactionErrorForCode(code, 't'))).toBe('fatal')
    }
  })

  it('treats TRANSACTION_ABORTABLE and failed sends as abortable', () => {
    expect(transactionErrorForCode(120, 't')).toBeInstanceOf(TransactionAbortableError)
    expect(failureKind(transactionErrorForCode(120, 't'))).toBe('abortable')
    expect(failureKind(new BrokerError('too large', 10, 'MESSAGE_TOO_LARGE'))).toBe('abortable')
  })

  it('wraps abortable causes once, saying to abort', () => {
    const cause = new BrokerError('too large', 10, 'MESSAGE_TOO_LARGE')
    const wrapped = abortableError('t', cause)
    expect(wrapped).toBeInstanceOf(TransactionAbortableError)
    expect(wrapped.message).toMatch(/abortTransaction\(\)/)
    expect(wrapped.cause).toBe(cause)
    expect(abortableError('t', wrapped)).toBe(wrapped)
    const commitFailed = new CommitFailedError('stale member', [{ topic: 'a', partition: 0 }])
    expect(abortableError('t', commitFailed)).toBe(commitFailed)
  })

  it('recognises a stale group member in TxnOffsetCommit answers', () => {
    expect([22, 25, 82].every(isStaleMemberCode)).toBe(true)
    expect(isStaleMemberCode(27)).toBe(false)
    expect(transactionErrorForCode(0, 't')).toBeNull()
  })
})

describe('transaction version detection', () => {
  it('reads the finalized transaction.version feature', () => {
    expect(finalizedTransactionVersion([])).toBe(0)
    expect(
      finalizedTransactionVersion([
        { name: 'metadata.version', maxVersionLevel: 27 },
        { name: 'transaction.version', maxVersionLevel: 2 },
      ]),
    ).toBe(2)
  })
})
