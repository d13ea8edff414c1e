/**
 * The committed-offset monitor: polls OffsetFetch for the group every `intervalMs` and records every value
 * it sees. A committed offset that moves backwards is an anomaly whatever the guarantee: it re-delivers
 * what was already done, or worse, under at-most-once.
 */

import type { Consumer } from '../../src/consumer/consumer.ts'
import { Kafka } from '../../src/kafka.ts'
import type { CommitObservation } from './checker.ts'

export class OffsetMonitor {
  readonly observations: CommitObservation[] = []
  readonly backwards: string[] = []
  /** Polls that failed (a coordinator moving, a broker down): expected during broker faults. */
  failedPolls = 0
  readonly #consumer: Consumer
  readonly #last = new Map<number, bigint>()
  #timer: NodeJS.Timeout | undefined
  #polling: Promise<void> = Promise.resolve()
  #stopped = false

  private readonly topic: string
  private readonly partitions: number
  private readonly intervalMs: number

  constructor(bootstrap: string, group: string, topic: string, partitions: number, intervalMs = 150) {
    this.topic = topic
    this.partitions = partitions
    this.intervalMs = intervalMs
    this.#consumer = new Kafka({
      bootstrap,
      clientId: 'chaos-monitor',
      logger: false,
      requestTimeoutMs: 5000,
    }).consumer({
      groupId: group,
    })
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return
      this.#polling = this.poll().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.intervalMs)
      })
    }
    tick()
  }

  /** One OffsetFetch; also called once more at the end so the final commits are seen. */
  async poll(): Promise<void> {
    const partitions = Array.from({ length: this.partitions }, (_, partition) => ({
      topic: this.topic,
      partition,
    }))
    let committed: Awaited<ReturnType<Consumer['committed']>>
    try {
      committed = await this.#consumer.committed(partitions, { timeoutMs: 5000 })
    } catch {
      this.failedPolls++
      return
    }
    const time = Date.now()
    for (const entry of committed) {
      if (entry.offset === null) continue
      const last = this.#last.get(entry.partition)
      if (last !== undefined && entry.offset < last) {
        this.backwards.push(
          `partition ${entry.partition}: ${last} -> ${entry.offset} at ${new Date(time).toISOString()}`,
        )
      }
      if (last === undefined || entry.offset !== last) {
        this.observations.push({ time, partition: entry.partition, offset: entry.offset })
      }
      this.#last.set(entry.partition, entry.offset)
    }
  }

  /** The last committed offset seen per partition. */
  latest(): Map<number, bigint> {
    return new Map(this.#last)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#polling
    await this.poll()
    await this.#consumer.close()
  }
}
