import { describe, expect, it } from 'vitest'
import {
  BrokerError,
  OffsetOutOfRangeError,
  ProducerFencedError,
  RebalanceInProgressError,
  TransactionAbortableError,
} from '../../../src/common/errors.ts'
import { errorForCode, errorName, isRetriableCode } from '../../../src/protocol/errors/broker-error.ts'
import { errorCodes } from '../../../src/protocol/errors/error-codes.ts'

describe('error codes', () => {
  it('match well-known Kafka codes and names', () => {
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR')
    expect(errorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(errorName(6)).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(errorName(27)).toBe('REBALANCE_IN_PROGRESS')
    expect(errorName(90)).toBe('PRODUCER_FENCED')
    expect(errorName(120)).toBe('TRANSACTION_ABORTABLE')
    expect(errorName(9999)).toBe('UNKNOWN_ERROR_CODE(9999)')
    const codes = errorCodes.map((c) => c.code)
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('classify retriability as the Java client does', () => {
    // Metadata-style errors (via InvalidMetadataException) and plain RetriableExceptions.
    for (const code of [3, 5, 6, 7, 14, 15, 16, 19, 74, 75])
      expect(isRetriableCode(code), errorName(code)).toBe(true)
    for (const code of [-1, 0, 1, 10, 22, 25, 27, 29, 87, 90, 9999]) {
      expect(isRetriableCode(code), errorName(code)).toBe(false)
    }
  })
})

describe('errorForCode', () => {
  it('returns null for NONE', () => {
    expect(errorForCode(0)).toBeNull()
  })

  it('builds the specific subclasses', () => {
    const outOfRange = errorForCode(1, { topic: 't', partition: 2, offset: 42n })
    expect(outOfRange).toBeInstanceOf(OffsetOutOfRangeError)
    expect((outOfRange as OffsetOutOfRangeError).offset).toBe(42n)
    const rebalance = errorForCode(27, { partitions: [{ topic: 't', partition: 0 }] })
    expect(rebalance).toBeInstanceOf(RebalanceInProgressError)
    expect((rebalance as RebalanceInProgressError).partitions).toEqual([{ topic: 't', partition: 0 }])
    expect(errorForCode(90)).toBeInstanceOf(ProducerFencedError)
    expect(errorForCode(120)).toBeInstanceOf(TransactionAbortableError)
  })

  it('says what happened, where, and the Kafka error name', () => {
    const error = errorForCode(6, { topic: 'orders', partition: 3, broker: '127.0.0.1:9092' })!
    expect(error).toBeInstanceOf(BrokerError)
    expect(error.errorName).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(error.code).toBe(6)
    expect(error.retriable).toBe(true)
    expect(error.topic).toBe('orders')
    expect(error.partition).toBe(3)
    expect(error.broker).toBe('127.0.0.1:9092')
    expect(error.message).toMatch(
      /^NOT_LEADER_OR_FOLLOWER \(error code 6\) for topic "orders" partition 3 from broker 127\.0\.0\.1:9092: this broker no longer leads the partition; the client retries against the new leader$/,
    )
  })

  it("prefers the response's own error message and lets the caller override retriability", () => {
    const error = errorForCode(42, { errorMessage: 'group id is empty', retriable: true })!
    expect(error.message).toBe('INVALID_REQUEST (error code 42): group id is empty')
    expect(error.retriable).toBe(true)
    expect(errorForCode(9999)!.message).toMatch(/UNKNOWN_ERROR_CODE\(9999\)/)
  })
})

describe('explanations', () => {
  it('falls back to the constant name in words for codes without a written explanation', () => {
    const error = errorForCode(71)!
    expect(error.message).toBe(
      `${error.errorName} (error code 71): ${error.errorName.toLowerCase().replaceAll('_', ' ')}`,
    )
  })
})
