/**
 * Keeps a chain of promise continuations from holding the event loop.
 *
 * Records the consumer has already buffered are handed out without any I/O, and a handler that does its work
 * synchronously (a `fsyncSync` ledger, JSON parsing, a CPU-bound transform) resolves in a microtask. A loop
 * of `await poll()` → handler → `await poll()` then never leaves the microtask queue: no timer fires (the
 * commit cadence, the max-poll clock), no socket is read (heartbeat answers, fetch responses) and a `stop()`
 * requested from a signal handler is never seen. Node gives the rest of the process a turn only when the
 * microtask queue is empty.
 *
 * A budget counts the work handed out and the time since the event loop last had a turn; once either runs
 * out, {@link TurnBudget.spend} returns a promise that settles from `setImmediate`, i.e. after the loop went
 * through its timers and I/O once. When the application awaits real I/O of its own, the loop turns anyway and
 * no extra turn is taken: the probe below notices that a macrotask ran.
 */

/** Longest a chain of continuations may hold the event loop before it gives the loop a turn. */
export const DEFAULT_TURN_INTERVAL_MS = 10
/** Most units of work (records handed out) between two turns of the loop, however fast each one is. */
export const DEFAULT_TURN_UNITS = 1000

export class TurnBudget {
  private readonly intervalMs: number
  private readonly units: number
  private spent = 0
  private turnAt = performance.now()
  /** True while a `setImmediate` probe is queued; it runs (and clears this) when the loop takes a turn. */
  private probing = false
  private readonly probe = (): void => {
    this.probing = false
    this.spent = 0
    this.turnAt = performance.now()
  }

  constructor(intervalMs = DEFAULT_TURN_INTERVAL_MS, units = DEFAULT_TURN_UNITS) {
    this.intervalMs = intervalMs
    this.units = units
  }

  /** Counts `units` of work handed out since the last check. */
  count(units = 1): void {
    this.spent += units
    if (!this.probing) {
      // A probe that is not pending has run: the loop turned since it was queued.
      this.probing = true
      setImmediate(this.probe)
    }
  }

  /**
   * Undefined while the budget lasts (the caller goes on synchronously, so the fast path costs no promise), or
   * a promise to await that settles after the event loop's next turn. Callers check *before* they take the
   * next piece of work: whatever the turn changes (a revocation, a seek, a close) then applies to it.
   */
  turnIfDue(): Promise<void> | undefined {
    if (!this.probing) return undefined
    if (this.spent < this.units && performance.now() - this.turnAt < this.intervalMs) return undefined
    return new Promise<void>((resolve) => setImmediate(resolve))
  }

  /** {@link count} then {@link turnIfDue}: for work that is already in hand and stays valid across a turn. */
  spend(units = 1): Promise<void> | undefined {
    this.count(units)
    return this.turnIfDue()
  }
}
