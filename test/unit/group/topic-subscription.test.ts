import { describe, expect, it } from 'vitest'
import { matchTopics, parseSubscription } from '../../../src/consumer/group/topic-subscription.ts'

const cluster = ['orders', 'orders.eu', 'orders.us', 'payments', '__consumer_offsets'].map((name) => ({
  name,
  isInternal: name.startsWith('__'),
}))

describe('topic subscriptions', () => {
  it('sorts and de-duplicates topic names', () => {
    expect(parseSubscription(['b', 'a', 'b'])).toEqual({ kind: 'topics', topics: ['a', 'b'] })
  })

  it('matches a pattern against whole names, never internal topics', () => {
    expect(matchTopics(parseSubscription(/orders\..*/), cluster)).toEqual(['orders.eu', 'orders.us'])
    // Unanchored in JavaScript, but Kafka matches whole names: "rders" matches nothing.
    expect(matchTopics(parseSubscription(/rders/), cluster)).toEqual([])
    expect(matchTopics(parseSubscription(/.*/), cluster)).toEqual([
      'orders',
      'orders.eu',
      'orders.us',
      'payments',
    ])
  })

  it('rejects what cannot be a subscription, naming the argument', () => {
    expect(() => parseSubscription('orders')).toThrow(/subscribe\.topics/)
    expect(() => parseSubscription(['ok', 'not ok'])).toThrow(/subscribe\.topics\[1\]/)
    expect(() => parseSubscription(/orders/g)).toThrow(/g or y flag/)
  })
})
