/**
 * The auto-commit clock: every `autoCommitIntervalMs`, commit what the offset store holds.
 *
 * What the store holds is only what the application finished with (see {@link OffsetStore}), so the timer
 * may fire at any moment — in the middle of processing a poll's records — without committing ahead. While
 * the group is rebalancing the tick is skipped: the commit before revoke covers the partitions that leave,
 * and the next tick covers the ones that stay. Ticks never pile up: one auto-commit is in flight at most.
 */

export class AutoCommitTimer {
  private readonly intervalMs: number
  private readonly tick: () => Promise<void>
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor(intervalMs: number, tick: () => Promise<void>) {
    this.intervalMs = intervalMs
    this.tick = tick
  }

  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      if (this.running) return
      this.running = true
      this.tick().finally(() => {
        this.running = false
      })
    }, this.intervalMs)
    // An idle consumer's clock must not keep the process alive.
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
