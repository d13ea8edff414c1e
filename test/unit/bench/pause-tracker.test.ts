import { describe, expect, it } from 'vitest'
import { PauseTracker } from '../../../bench/lib/pause-tracker.ts'

describe('PauseTracker', () => {
  it('knows when every partition has been seen', () => {
    const tracker = new PauseTracker(3)
    tracker.seen(0, 1)
    tracker.seen(2, 2)
    expect(tracker.allSeen).toBe(false)
    tracker.seen(1, 3)
    expect(tracker.allSeen).toBe(true)
  })

  it('measures the longest gap after the window opens, not before it', () => {
    const tracker = new PauseTracker(2)
    tracker.seen(0, 0)
    tracker.seen(1, 0)
    // A long gap before the window does not count...
    tracker.seen(0, 900)
    tracker.seen(1, 900)
    tracker.startWindow(1000)
    // ...one that starts before the window counts from the window's start.
    tracker.seen(0, 1010)
    tracker.seen(1, 1300)
    tracker.seen(0, 1320)
    tracker.seen(1, 1330)
    expect(tracker.pauseMs(1340)).toBe(310)
  })

  it('counts a partition still waiting at the end of the window', () => {
    const tracker = new PauseTracker(2)
    tracker.seen(0, 0)
    tracker.seen(1, 0)
    tracker.startWindow(100)
    tracker.seen(0, 110)
    tracker.seen(0, 2000)
    expect(tracker.pauseMs(2500)).toBe(2400)
  })
})
