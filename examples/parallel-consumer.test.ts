import { expect, it } from 'vitest'
import { kafkaBootstrap } from '../src/testing/kafka-bootstrap.ts'
import { parallelConsumer } from './parallel-consumer.ts'

it('bills customers in parallel and each in order, retries a transient failure, dead-letters a malformed order', async () => {
  const report = await parallelConsumer(kafkaBootstrap())
  // Six customers' orders ran at once, never two of one customer (each customer's list is ascending).
  expect(report.peakConcurrency).toBeGreaterThan(1)
  expect(report.peakConcurrency).toBeLessThanOrEqual(6)
  for (const [customer, ids] of report.billedByCustomer) {
    const n = Number(customer.split('-')[1])
    const expected = Array.from({ length: 10 }, (_, i) => i * 6 + n).filter((id) => id !== 13)
    expect(ids).toEqual(expected)
  }
  // Orders 0, 10, ..., 50 failed once and succeeded on their second try.
  expect([...report.tries.entries()].sort((a, b) => a[0] - b[0])).toEqual(
    [0, 10, 20, 30, 40, 50].map((id) => [id, 2]),
  )
  expect(report.deadLetters).toEqual([{ order: 13, errorClass: 'MalformedOrderError', originalOffset: '13' }])
  expect(report.committed).toBe(60n)
  expect(report.billedAgain).toBe(0)
}, 60_000)
