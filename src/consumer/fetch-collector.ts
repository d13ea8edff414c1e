/**
 * Hands buffered records to the application and moves positions as it does: the only place a position
 * advances in normal consumption.
 *
 * Records of one partition come out in offset order. Stale data (fetched before a seek, reset or
 * reassignment) is dropped on sight; data of paused partitions stays buffered and is skipped until resumed.
 */

import type { CompletedFetch } from './completed-fetch.ts'
import type { FetchBuffer } from './fetch-buffer.ts'
import type { ConsumerMessage } from './message.ts'

export class FetchCollector {
  private readonly buffer: FetchBuffer<CompletedFetch>
  /** The fetch being drained, cached so the per-record path avoids scanning the buffer. */
  private current: CompletedFetch | undefined = undefined
  /** Called when a drained fetch frees buffer space, so the fetcher can use it. */
  private readonly onRelease: () => void

  constructor(buffer: FetchBuffer<CompletedFetch>, onRelease: () => void = () => {}) {
    this.buffer = buffer
    this.onRelease = onRelease
  }

  /** Up to `max` records, across partitions, advancing each partition's position past what is returned. */
  collect(max: number): ConsumerMessage[] {
    const messages: ConsumerMessage[] = []
    while (messages.length < max) {
      const fetch = this.deliverable()
      if (fetch === undefined) break
      let last: ConsumerMessage | undefined
      while (messages.length < max) {
        const message = fetch.next()
        if (message === undefined) break
        messages.push(message)
        last = message
      }
      this.advance(fetch, last)
    }
    return messages
  }

  /** The next record, advancing its partition's position; undefined when nothing deliverable is buffered. */
  next(): ConsumerMessage | undefined {
    for (;;) {
      const fetch = this.deliverable()
      if (fetch === undefined) return undefined
      const message = fetch.next()
      this.advance(fetch, message)
      if (message !== undefined) return message
    }
  }

  /** Forgets the cached fetch; call after removing entries from the buffer. */
  reset(): void {
    this.current = undefined
  }

  /**
   * Moves the position past `last` (the last record taken from `fetch`), or to the end of `fetch` once it is
   * drained, which also skips offsets that carried no deliverable record (markers, aborted or compacted data).
   */
  private advance(fetch: CompletedFetch, last: ConsumerMessage | undefined): void {
    const offsets = fetch.state.offsets
    if (last !== undefined) offsets.handOut(last.offset, last.leaderEpoch)
    if (fetch.isDrained) {
      offsets.skipTo(fetch.nextFetchOffset, fetch.lastEpoch)
      this.buffer.remove(fetch)
      this.current = undefined
      this.onRelease()
    }
  }

  /** The oldest buffered fetch that may be delivered now, dropping stale ones on the way. */
  private deliverable(): CompletedFetch | undefined {
    const current = this.current
    if (current?.isCurrent && !current.state.paused && !current.isDrained) return current
    this.current = undefined
    let stale: CompletedFetch[] | undefined
    let found: CompletedFetch | undefined
    for (const fetch of this.buffer.entries()) {
      const current = fetch.isCurrent && fetch.state.state === 'fetching'
      // A paused partition's later fetches do not start at its position yet (the earlier ones wait undrained
      // before them): they are not stale, and dropping them would leave a hole the fetcher never refills.
      if (current && fetch.state.paused) continue
      if (!current || !this.startsAtPosition(fetch)) {
        stale ??= []
        stale.push(fetch)
        continue
      }
      found = fetch
      break
    }
    if (stale !== undefined) for (const fetch of stale) this.buffer.remove(fetch)
    this.current = found
    return found
  }

  /**
   * A fetch is delivered only if it continues exactly where the application is. Generations already ensure
   * this; the check guards the invariant against any path that moves a position without bumping one.
   */
  private startsAtPosition(fetch: CompletedFetch): boolean {
    if (fetch.started) return true
    if (fetch.state.offsets.positionOffset !== fetch.fetchOffset) return false
    fetch.started = true
    return true
  }
}
