/**
 * The producer's memory bound. Every record reserves its encoded size before it enters a batch and gives
 * it back when its batch is acknowledged or failed, so records waiting in the producer never take more than
 * `bufferMemoryBytes`. When the bound is reached, senders wait in arrival order (so one large record is not
 * starved by a stream of small ones) for at most `maxBlockMs`, then fail with {@link BufferFullError}.
 */

import { BufferFullError, ClosedError } from '../common/errors.ts'

interface Waiter {
  bytes: number
  resolve: () => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
}

export class BufferMemory {
  readonly totalBytes: number
  private available: number
  private readonly waiters: Waiter[] = []
  private closedWith: Error | undefined

  constructor(totalBytes: number) {
    this.totalBytes = totalBytes
    this.available = totalBytes
  }

  /** Bytes not reserved by any record. */
  get availableBytes(): number {
    return this.available
  }

  /** Number of senders waiting for space. */
  get waiting(): number {
    return this.waiters.length
  }

  /**
   * Reserves `bytes` at once if there is room and nobody queued earlier is waiting. The fast path: no
   * promise, no timer.
   */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || bytes > this.available) return false
    this.available -= bytes
    return true
  }

  /**
   * Reserves `bytes`, waiting up to `maxBlockMs` for other records to be acknowledged. Rejects with
   * {@link BufferFullError} when the wait runs out or when `bytes` can never fit.
   */
  reserve(bytes: number, maxBlockMs: number): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith)
    if (bytes > this.totalBytes) {
      return Promise.reject(
        new BufferFullError(
          `a record of ${bytes} bytes can never fit in bufferMemoryBytes (${this.totalBytes}); raise the bound`,
        ),
      )
    }
    if (this.tryReserve(bytes)) return Promise.resolve()
    if (maxBlockMs === 0) return Promise.reject(this.fullError(bytes, maxBlockMs))
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, timer: undefined }
      waiter.timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter)
        if (at < 0) return
        this.waiters.splice(at, 1)
        reject(this.fullError(bytes, maxBlockMs))
        // The head may have been the one blocking smaller requests behind it.
        this.wakeWaiters()
      }, maxBlockMs)
      this.waiters.push(waiter)
    })
  }

  /** Gives back bytes reserved earlier and lets waiting senders in, oldest first. */
  release(bytes: number): void {
    this.available += bytes
    if (this.available > this.totalBytes) this.available = this.totalBytes
    this.wakeWaiters()
  }

  /** Fails every waiting sender with `error` and every later `reserve()`. */
  close(error: Error = new ClosedError('the producer is closed')): void {
    this.closedWith = error
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(error)
    }
  }

  private wakeWaiters(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0]!
      if (head.bytes > this.available) return
      this.waiters.shift()
      clearTimeout(head.timer)
      this.available -= head.bytes
      head.resolve()
    }
  }

  private fullError(bytes: number, maxBlockMs: number): BufferFullError {
    return new BufferFullError(
      `the producer buffer stayed full for ${maxBlockMs} ms (bufferMemoryBytes ${this.totalBytes}, ` +
        `${this.available} free, needed ${bytes}); records are produced slower than they are sent, ` +
        'or the brokers are unreachable',
    )
  }
}
