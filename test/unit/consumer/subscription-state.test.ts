import { describe, expect, it } from 'vitest'
import { IllegalStateError } from '../../../src/common/errors.ts'
import { SubscriptionState } from '../../../src/consumer/subscription-state.ts'

const tp0 = { topic: 'orders', partition: 0 }
const tp1 = { topic: 'orders', partition: 1 }

describe('SubscriptionState', () => {
  it('starts new partitions awaiting a reset and keeps the state of partitions that stay assigned', () => {
    const subscriptions = new SubscriptionState('latest')
    subscriptions.assign([tp0])
    expect(subscriptions.get('orders', 0)!.state).toBe('awaiting-reset')
    subscriptions.seek(tp0, { offset: 42n, leaderEpoch: 1 })
    subscriptions.pause(tp0)
    const removed = subscriptions.assign([tp0, tp1])
    expect(removed).toEqual([])
    expect(subscriptions.get('orders', 0)!.position).toEqual({ offset: 42n, leaderEpoch: 1 })
    expect(subscriptions.paused()).toEqual([tp0])
    expect(subscriptions.get('orders', 1)!.state).toBe('awaiting-reset')
    expect(subscriptions.assignment()).toEqual([tp0, tp1])
    const dropped = subscriptions.assign([tp1])
    expect(dropped.map((s) => s.key)).toEqual(['orders:0'])
  })

  it('names the partition when an operation needs an assigned one', () => {
    const subscriptions = new SubscriptionState('latest')
    expect(() => subscriptions.seek(tp0, { offset: 1n, leaderEpoch: undefined })).toThrow(IllegalStateError)
    expect(() => subscriptions.pause(tp1)).toThrow(/orders-1 is not assigned/)
  })

  it('lets a seek made during an offset lookup win over the lookup result', () => {
    const subscriptions = new SubscriptionState('earliest')
    subscriptions.assign([tp0])
    const state = subscriptions.get('orders', 0)!
    const [due] = subscriptions.partitionsAwaitingReset(Date.now())
    expect(due).toBe(state)
    const generation = state.generation
    subscriptions.seek(tp0, { offset: 5n, leaderEpoch: undefined })
    expect(subscriptions.completeReset(state, generation, { offset: 0n, leaderEpoch: undefined })).toBe(false)
    expect(state.position?.offset).toBe(5n)
    subscriptions.requestReset(state, 'latest')
    expect(state.resetTarget).toBe('latest')
    expect(subscriptions.completeReset(state, state.generation, { offset: 9n, leaderEpoch: 2 })).toBe(true)
    expect(state.state).toBe('fetching')
    expect(state.fetchOffset).toBe(9n)
  })

  it('holds a seek with a leader epoch for validation when asked to', () => {
    const subscriptions = new SubscriptionState('earliest')
    subscriptions.assign([tp0])
    subscriptions.seek(tp0, { offset: 5n, leaderEpoch: 4 }, { validate: true })
    const state = subscriptions.get('orders', 0)!
    expect(state.state).toBe('awaiting-validation')
    expect(state.isFetchable).toBe(false)
    expect(subscriptions.partitionsAwaitingValidation()).toEqual([state])
    expect(subscriptions.completeValidation(state, state.generation)).toBe(true)
    expect(state.isFetchable).toBe(true)
  })

  it('reports the next offset to read for delivered records as the offsets to commit', () => {
    const subscriptions = new SubscriptionState('earliest')
    subscriptions.assign([tp0, tp1])
    subscriptions.seek(tp0, { offset: 10n, leaderEpoch: 2 })
    const consumed = subscriptions.allConsumed()
    expect([...consumed.values()]).toEqual([{ topic: 'orders', partition: 0, offset: 10n, leaderEpoch: 2 }])
    expect(consumed.get('orders:0')?.offset).toBe(10n)
  })
})
