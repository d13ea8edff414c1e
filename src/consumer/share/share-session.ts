/**
 * One share session (KIP-932): the state a broker keeps for this member between ShareFetch requests, which
 * lets a request name only what changed.
 *
 * The epoch orders the requests of a session: 0 opens it (a ShareFetch listing every partition; a
 * ShareAcknowledge cannot open one), each answered request moves it on by one (wrapping to 1 after
 * 2^31-1), and -1 closes it (the broker then releases whatever this member still holds there). When the broker
 * no longer knows the session (SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH) or the connection broke,
 * so that it is unknown whether the broker saw the request, the next request opens a new session at epoch 0
 * listing every partition again. The same rules as the Java client's ShareSessionHandler.
 */

import { partitionKey, type SharePartition } from './acknowledgements.ts'

export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1

/** The partitions of the next ShareFetch. */
export interface SessionChanges {
  epoch: number
  /** Partitions the request must name because the session does not have them yet (all of them at epoch 0). */
  added: SharePartition[]
  /** Session partitions no longer wanted (`ForgottenTopicsData`). */
  forgotten: SharePartition[]
}

export class ShareSession {
  private nextEpoch = INITIAL_EPOCH
  private readonly partitions = new Map<string, SharePartition>()

  /** The epoch the next request carries. */
  get epoch(): number {
    return this.nextEpoch
  }

  /** True once the broker holds a session for this member (a ShareAcknowledge can go out). */
  get isOpen(): boolean {
    return this.nextEpoch > 0
  }

  /** The partitions the broker's session holds (as far as this side knows). */
  get size(): number {
    return this.partitions.size
  }

  /** Works out what the next ShareFetch names so the session holds exactly `wanted` afterwards. */
  nextFetch(wanted: readonly SharePartition[]): SessionChanges {
    const wantedByKey = new Map(wanted.map((tp) => [partitionKey(tp), tp]))
    const added: SharePartition[] = []
    const forgotten: SharePartition[] = []
    if (this.nextEpoch === INITIAL_EPOCH) this.partitions.clear()
    for (const [key, held] of this.partitions) {
      const next = wantedByKey.get(key)
      // A topic id that changed means the topic was deleted and created again: forget the old one.
      if (next === undefined || next.topicId !== held.topicId) {
        forgotten.push(held)
        this.partitions.delete(key)
      }
    }
    for (const [key, tp] of wantedByKey) {
      if (this.partitions.has(key)) continue
      this.partitions.set(key, tp)
      added.push(tp)
    }
    return { epoch: this.nextEpoch, added, forgotten }
  }

  /** The broker answered the request without a session-level error. */
  advance(): void {
    if (this.nextEpoch === FINAL_EPOCH) return
    this.nextEpoch = this.nextEpoch === 0x7fffffff ? 1 : this.nextEpoch + 1
  }

  /** The session is gone or in doubt: the next request opens a new one. */
  reset(): void {
    this.nextEpoch = INITIAL_EPOCH
    this.partitions.clear()
  }

  /** The next request closes the session. */
  closing(): void {
    this.nextEpoch = FINAL_EPOCH
  }
}
