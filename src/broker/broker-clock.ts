/**
 * The broker's sense of time, which tests can move forward: session timeouts, rebalance timeouts and
 * transaction timeouts are measured against it, so a test expires a member by advancing the clock instead of
 * waiting. Wall time still passes underneath; `advance` adds a fixed skew on top of it.
 */
export class BrokerClock {
  #skewMs = 0
  readonly #listeners = new Set<() => void>()

  /** Milliseconds since the epoch, as the broker sees them. */
  now(): number {
    return Date.now() + this.#skewMs
  }

  /** Moves the broker's time forward by `ms` and lets timers that depend on it re-check at once. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(ms) needs a finite ms >= 0, got ${ms}`)
    this.#skewMs += ms
    for (const listener of this.#listeners) listener()
  }

  /** Calls `listener` after every `advance`; returns the function that stops it. */
  onAdvance(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
