/**
 * The latency case's primer: before its clock starts, each client produces one marked record to every
 * partition and waits until its own consumer has received all of them. Then its group has joined, every
 * partition is assigned and positioned, and connections are open, so the measured records see the steady
 * state of every client alike, not one client's group join.
 */

import { deferred } from './deferred.ts'
import { readStamp } from './payload.ts'

/** The stamp of a primer record; real stamps are wall-clock milliseconds, always positive. */
const PRIMER_STAMP = -1

export class Primer {
  private readonly waiting: Set<number>
  private readonly done = deferred()

  constructor(partitions: number) {
    this.waiting = new Set(Array.from({ length: partitions }, (_, partition) => partition))
  }

  /** A primer value of the template's size. */
  value(template: Buffer): Buffer {
    const value = Buffer.from(template)
    value.writeDoubleLE(PRIMER_STAMP, 0)
    return value
  }

  /**
   * True (and noted) when `value` is a primer, which the caller then leaves out of its latencies and counts.
   */
  take(partition: number, value: Uint8Array): boolean {
    return this.takeStamp(partition, readStamp(value))
  }

  /** As {@link take}, for a client that reads stamps its own way (see the kafka-ts adapter). */
  takeStamp(partition: number, stamp: number): boolean {
    if (stamp !== PRIMER_STAMP) return false
    this.waiting.delete(partition)
    if (this.waiting.size === 0) this.done.resolve()
    return true
  }

  /**
   * Resolves once a primer came back from every partition; rejects after `timeoutMs`, so a client that
   * never delivers them fails with a reason instead of running into the runner's time limit.
   */
  ready(timeoutMs = 30_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `primer records of partitions ${[...this.waiting].join(', ')} not consumed within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      )
    })
    return Promise.race([this.done.promise, expired]).finally(() => clearTimeout(timer))
  }
}
