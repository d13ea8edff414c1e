import { expect, it } from 'vitest'
import { bootstrapAddress } from './example-support.ts'
import { main } from './share-retry-dead-letter.ts'

it('released payments come back with a higher delivery count; at the cut-off one goes to the dead-letter topic', async () => {
  const report = await main({ bootstrap: bootstrapAddress() })
  // payment-3 failed twice and went through on its third delivery; payment-7 never did.
  expect(report.deliveries.filter((d) => d.startsWith('payment-3#'))).toEqual([
    'payment-3#1',
    'payment-3#2',
    'payment-3#3',
  ])
  expect(report.deliveries.filter((d) => d.startsWith('payment-7#'))).toEqual([
    'payment-7#1',
    'payment-7#2',
    'payment-7#3',
  ])
  expect(report.paid.sort()).toEqual(
    Array.from({ length: 10 }, (_, i) => `payment-${i}`)
      .filter((p) => p !== 'payment-7')
      .sort(),
  )
  expect(report.deadLetters).toEqual([
    { value: 'payment-7', reason: 'card processor timed out (payment-7, try 3)', deliveries: '3' },
  ])
  // Every other payment was delivered once.
  expect(report.deliveries).toHaveLength(8 + 3 + 3)
}, 120_000)
