/**
 * Fetched data waiting for the application, in arrival order, with its size accounted so the fetcher can stay
 * ahead of the application without buffering without bound.
 *
 * The buffer also is the consumer's doorbell: `poll()` and the iterator sleep on {@link FetchBuffer.waitForChange}
 * and anything that may let them make progress (data arrived, an error to report, a reset completed, close)
 * rings {@link FetchBuffer.wakeup}.
 */

/** What the buffer needs to know about one partition's fetched data. */
export interface BufferedFetch {
  /** `topic:partition` of the data. */
  readonly key: string
  /** Bytes of record data this entry holds, released when it is drained or dropped. */
  readonly sizeBytes: number
}

export class FetchBuffer<T extends BufferedFetch> {
  private queue: T[] = []
  private head = 0
  private buffered = 0
  private waiter: (() => void) | undefined = undefined
  private rang = false

  /** Bytes of record data held. */
  get bufferedBytes(): number {
    return this.buffered
  }

  get isEmpty(): boolean {
    return this.head === this.queue.length
  }

  add(fetch: T): void {
    this.queue.push(fetch)
    this.buffered += fetch.sizeBytes
    this.wakeup()
  }

  /** The entries in arrival order. Do not mutate the buffer while iterating; collect and `remove` afterwards. */
  *entries(): IterableIterator<T> {
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i] as T
  }

  /** The oldest entry, or undefined. */
  peek(): T | undefined {
    return this.queue[this.head]
  }

  /** Removes `fetch` (normally the oldest entry) and releases its bytes. */
  remove(fetch: T): void {
    if (this.queue[this.head] === fetch) {
      this.queue[this.head] = undefined as unknown as T
      this.head++
      // Compact once the consumed prefix dominates, so the array does not grow forever.
      if (this.head > 64 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
    } else {
      const index = this.queue.indexOf(fetch, this.head)
      if (index < 0) return
      this.queue.splice(index, 1)
    }
    this.buffered -= fetch.sizeBytes
  }

  /** Drops every entry of the partition `key` (after a seek, a reset or unassignment). */
  removePartition(key: string): void {
    this.removeWhere((fetch) => fetch.key === key)
  }

  /** Drops every entry matching `predicate`. */
  removeWhere(predicate: (fetch: T) => boolean): void {
    const kept: T[] = []
    for (let i = this.head; i < this.queue.length; i++) {
      const fetch = this.queue[i] as T
      if (predicate(fetch)) this.buffered -= fetch.sizeBytes
      else kept.push(fetch)
    }
    this.queue = kept
    this.head = 0
  }

  clear(): void {
    this.queue = []
    this.head = 0
    this.buffered = 0
  }

  /** Wakes the current {@link waitForChange}, or makes the next one return at once. */
  wakeup(): void {
    const waiter = this.waiter
    if (waiter === undefined) {
      this.rang = true
      return
    }
    this.waiter = undefined
    waiter()
  }

  /**
   * Resolves at the next {@link wakeup} (or at once if one happened since the last wait), after `timeoutMs`,
   * or when `signal` aborts. One waiter at a time: the consumer serialises its polls.
   */
  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.rang || timeoutMs <= 0 || signal?.aborted) {
      this.rang = false
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        if (this.waiter === done) this.waiter = undefined
        this.rang = false
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      signal?.addEventListener('abort', done, { once: true })
      this.waiter = done
    })
  }
}
