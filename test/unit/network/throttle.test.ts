import { describe, expect, it } from 'vitest'
import { BrokerThrottle, type ThrottleScheduler, throttleTimeOf } from '../../../src/network/throttle.ts'

/** A clock that only moves when the test says so, firing due timers in order. */
class ManualScheduler implements ThrottleScheduler {
  private time = 1000
  private timers: { at: number; callback: () => void }[] = []

  now(): number {
    return this.time
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.time + delayMs, callback }
    this.timers.push(timer)
    return () => {
      this.timers = this.timers.filter((t) => t !== timer)
    }
  }

  get pendingTimers(): number {
    return this.timers.length
  }

  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.timers = this.timers.filter((t) => t !== due)
      this.time = due.at
      due.callback()
    }
    this.time = end
  }
}

function setup() {
  const scheduler = new ManualScheduler()
  const lifts: number[] = []
  const throttle = new BrokerThrottle(() => lifts.push(scheduler.now()), scheduler)
  return { scheduler, lifts, throttle }
}

describe('throttleTimeOf', () => {
  it('reads a positive numeric throttleTimeMs and treats everything else as no throttle', () => {
    expect(throttleTimeOf({ throttleTimeMs: 250, errorCode: 0 })).toBe(250)
    expect(throttleTimeOf({ throttleTimeMs: 0 })).toBe(0)
    expect(throttleTimeOf({ throttleTimeMs: -1 })).toBe(0)
    expect(throttleTimeOf({ throttleTimeMs: '250' })).toBe(0)
    expect(throttleTimeOf({ errorCode: 0 })).toBe(0)
    expect(throttleTimeOf(undefined)).toBe(0)
    expect(throttleTimeOf(null)).toBe(0)
  })
})

describe('BrokerThrottle', () => {
  it('is open until a response reports a throttle, then closed for exactly that long', () => {
    const { scheduler, lifts, throttle } = setup()
    expect(throttle.active).toBe(false)
    expect(throttle.remainingMs).toBe(0)

    expect(throttle.record(300)).toBe(300)
    expect(throttle.active).toBe(true)
    expect(throttle.remainingMs).toBe(300)

    scheduler.advance(299)
    expect(throttle.active).toBe(true)
    expect(throttle.remainingMs).toBe(1)
    expect(lifts).toEqual([])

    scheduler.advance(1)
    expect(throttle.active).toBe(false)
    expect(lifts).toEqual([1300])
  })

  it('ignores zero and negative throttle times', () => {
    const { scheduler, lifts, throttle } = setup()
    expect(throttle.record(0)).toBe(0)
    expect(throttle.record(-5)).toBe(0)
    expect(throttle.active).toBe(false)
    expect(throttle.metrics).toEqual({ throttledMs: 0, throttledResponses: 0 })
    expect(scheduler.pendingTimers).toBe(0)
    expect(lifts).toEqual([])
  })

  it('overlapping throttles end at the later end and report only the time they add', () => {
    const { scheduler, lifts, throttle } = setup()
    throttle.record(500) // until 1500
    scheduler.advance(100)
    // Ends at 1300, inside the current window: nothing added, no second reopening.
    expect(throttle.record(200)).toBe(0)
    expect(throttle.remainingMs).toBe(400)
    scheduler.advance(100)
    // Ends at 1900: 400 ms beyond the current end.
    expect(throttle.record(700)).toBe(400)
    expect(scheduler.pendingTimers).toBe(1)

    scheduler.advance(699)
    expect(throttle.active).toBe(true)
    expect(lifts).toEqual([])
    scheduler.advance(1)
    expect(lifts).toEqual([1900])
    expect(throttle.metrics).toEqual({ throttledMs: 1400, throttledResponses: 3 })
  })

  it('a throttle after the previous one ended starts a new window from now', () => {
    const { scheduler, lifts, throttle } = setup()
    throttle.record(100)
    scheduler.advance(250)
    expect(throttle.record(100)).toBe(100)
    scheduler.advance(100)
    expect(lifts).toEqual([1100, 1350])
  })

  it('waits out the remainder when its timer fires early', () => {
    const scheduler = new ManualScheduler()
    const lifts: number[] = []
    // A scheduler whose longer timers fire 5 ms early, as coarse platform timers can.
    const early: ThrottleScheduler = {
      now: () => scheduler.now(),
      schedule: (callback, delayMs) => scheduler.schedule(callback, delayMs > 5 ? delayMs - 5 : delayMs),
    }
    const throttle = new BrokerThrottle(() => lifts.push(scheduler.now()), early)
    throttle.record(100)
    scheduler.advance(95)
    expect(lifts).toEqual([])
    expect(throttle.active).toBe(true)
    scheduler.advance(5)
    expect(lifts).toEqual([1100])
  })

  it('cancel() drops the pending reopening', () => {
    const { scheduler, lifts, throttle } = setup()
    throttle.record(100)
    throttle.cancel()
    expect(scheduler.pendingTimers).toBe(0)
    scheduler.advance(1000)
    expect(lifts).toEqual([])
  })
})
