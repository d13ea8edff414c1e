import { expect, it } from 'vitest'
import { bootstrapAddress, uniqueName } from './example-support.ts'
import { main } from './faststream-ack.ts'

const bootstrap = bootstrapAddress()

it('acks after success only, redelivers from the failed message, and lets ack/nack/reject decide', async () => {
  const report = await main({
    bootstrap,
    topic: uniqueName('faststream-ack'),
    groupId: uniqueName('faststream'),
  })
  const orders = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `order-${from + i}`)

  // The handler raised at order-5: order-0..4 were acknowledged, order-5 was not.
  expect(report.firstRun).toEqual(orders(0, 6))
  expect(report.committedAfterFailure).toBe(5n)
  // The restart delivers exactly the failed message and everything after it: nothing lost.
  expect(report.secondRun).toEqual(orders(5, 10))

  // nack() and NackMessage deliver the message once more; AckMessage and RejectMessage move on.
  expect(report.manualDeliveries).toEqual([
    ...orders(0, 3),
    'order-2',
    ...orders(3, 7),
    'order-6',
    ...orders(7, 10),
  ])
  expect(report.rejected).toEqual(['order-8'])
  expect(report.committedAfterManual).toBe(10n)
}, 120_000)
