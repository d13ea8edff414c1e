/**
 * Client-side quota throttling (KIP-219).
 *
 * A broker enforcing a quota (bytes per second, request time, controller mutations) answers at once and
 * reports in the response how long the client must stay quiet (`throttleTimeMs`). It also mutes the
 * connection on its side for that long, so anything sent meanwhile only sits in the broker's socket buffer,
 * ageing towards its request timeout. The client is expected to hold its requests back instead, which is
 * what this gate decides: a throttled response closes it for `throttleTimeMs` from the moment the response
 * arrived, a later throttle can only push the reopening further out, and reopening is announced with a
 * callback so the owner can send what it held.
 */

/** The clock and timers the throttle runs on; replaceable so tests can drive time by hand. */
export interface ThrottleScheduler {
  /** Milliseconds on a monotonic clock. */
  now(): number
  /** Runs `callback` after `delayMs`; the returned function cancels it. */
  schedule(callback: () => void, delayMs: number): () => void
}

/** Real time: `performance.now()` and an unref'd timer, so a throttle never keeps the process alive. */
const realTimeScheduler: ThrottleScheduler = {
  now: () => performance.now(),
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, delayMs)
    timer.unref?.()
    return () => clearTimeout(timer)
  },
}

/** Totals a connection (or a pool of them) reports about the throttling it honoured. */
export interface ThrottleMetrics {
  /** Sum of the `throttleTimeMs` values brokers reported. */
  throttledMs: number
  /** Responses that carried a `throttleTimeMs` above zero. */
  throttledResponses: number
}

/**
 * The `throttleTimeMs` a decoded response carries, or 0. Read generically: most responses have the field
 * (at the top level, under this name), and those that do not are never throttled.
 */
export function throttleTimeOf(response: unknown): number {
  if (typeof response !== 'object' || response === null) return 0
  const value = (response as { throttleTimeMs?: unknown }).throttleTimeMs
  return typeof value === 'number' && value > 0 ? value : 0
}

/** The send gate of one broker connection. */
export class BrokerThrottle {
  private readonly scheduler: ThrottleScheduler
  private readonly onLift: () => void
  /** Scheduler time at which sending may resume; at or before `now()` the gate is open. */
  private until = 0
  private cancelLift: (() => void) | null = null
  private totalMs = 0
  private responses = 0

  /** @param onLift Called once the gate reopens, to send what was held back. */
  constructor(onLift: () => void, scheduler: ThrottleScheduler = realTimeScheduler) {
    this.onLift = onLift
    this.scheduler = scheduler
  }

  /** True while requests must be held back. */
  get active(): boolean {
    return this.until > this.scheduler.now()
  }

  /** Milliseconds until the gate reopens; 0 when it is open. */
  get remainingMs(): number {
    return Math.max(0, this.until - this.scheduler.now())
  }

  get metrics(): ThrottleMetrics {
    return { throttledMs: this.totalMs, throttledResponses: this.responses }
  }

  /**
   * Records the throttle a response reported. Returns how many milliseconds the quiet period grew by: the
   * time requests already waiting will now wait longer, which is what their timeouts are extended by.
   * Overlapping throttles do not add up; the quiet period ends at the later of the two ends.
   */
  record(throttleTimeMs: number): number {
    if (!(throttleTimeMs > 0)) return 0
    this.totalMs += throttleTimeMs
    this.responses++
    const now = this.scheduler.now()
    const previousEnd = Math.max(this.until, now)
    const end = now + throttleTimeMs
    if (end <= previousEnd) return 0
    this.until = end
    this.cancelLift?.()
    this.cancelLift = this.scheduler.schedule(() => this.lift(), end - now)
    return end - previousEnd
  }

  /** Forgets a pending reopening (the connection closed); no callback follows. */
  cancel(): void {
    this.cancelLift?.()
    this.cancelLift = null
    this.until = 0
  }

  private lift(): void {
    this.cancelLift = null
    // A timer may fire a hair early on some platforms; wait out the rest rather than send into the mute.
    const remaining = this.until - this.scheduler.now()
    if (remaining > 0) {
      this.cancelLift = this.scheduler.schedule(() => this.lift(), remaining)
      return
    }
    this.onLift()
  }
}
