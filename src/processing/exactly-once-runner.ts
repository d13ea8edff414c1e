/**
 * `run()` with an exactly-once guarantee (`offsetStore` or `transactional`). Simpler than the at-least-once
 * runner on purpose: one unit of work at a time (one message with `eachMessage`, one partition's polled
 * messages with `eachBatch`), each inside {@link ProcessingGuarantee.execute}, so the stored offsets always
 * sit exactly at the first unprocessed record.
 *
 * A failed unit (handler error, abortable commit, unknown outcome) is rolled back, and the partition is
 * sought back to the position the guarantee reports now, never just "continued": messages already polled
 * past the failed one would otherwise be handled without their predecessor. After `retry.attempts` failures
 * of the same offset, a dead letter (`retry.onExhausted: 'dead-letter'`) is written in a unit of its own, so
 * it commits with the original's offset (a failed eachBatch batch is first handed out one message at a time,
 * to find the one to dead-letter); otherwise the run stops with the error. A fenced instance (another
 * took its partitions or transactional id over) stops at once.
 */

import { ConfigError, IllegalStateError } from '../common/errors.ts'
import { createConsoleLogger, type Logger } from '../common/logger.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { Consumer } from '../consumer/consumer.ts'
import type { ConsumerMessage } from '../consumer/message.ts'
import type { Producer } from '../producer/producer.ts'
import { deadLetterRecord } from './dead-letters.ts'
import { OffsetStoreGuarantee } from './guarantees.ts'
import type { ProcessingGuarantee } from './processing-guarantee.ts'
import type { ProcessingMessage, ResolvedRunOptions } from './run-options.ts'

const pollTimeoutMs = 200
/** Tries at looking up newly assigned partitions' stored positions before the run fails (about 30 s). */
const positionLookupAttempts = 10

/** Satisfies RunHandle (runner.ts), structurally: importing it would make a cycle. */
export class ExactlyOnceRunner {
  readonly done: Promise<void>
  private readonly consumer: Consumer
  private readonly options: ResolvedRunOptions
  private readonly guarantee: ProcessingGuarantee
  private readonly logger: Logger
  /** Owned partitions and the next offset to process (null: wherever the consumer positioned it). */
  private readonly expected = new Map<string, bigint | null>()
  private readonly failures = new Map<string, { offset: bigint; count: number }>()
  /**
   * eachBatch with dead letters: partitions whose batch exhausted its attempts, and the offset up to which
   * their messages now go to the handler one at a time, so the one that fails can be dead-lettered alone.
   */
  private readonly narrowed = new Map<string, bigint>()
  private readonly stopController = new AbortController()
  private inFlight: Promise<unknown> = Promise.resolve()
  private loop: Promise<void> | undefined
  private stopping = false
  private stopPromise: Promise<void> | undefined
  private fatal: unknown
  private resolveDone!: () => void
  private rejectDone!: (error: unknown) => void

  constructor(
    consumer: Consumer,
    options: ResolvedRunOptions,
    guarantee: ProcessingGuarantee,
    logger?: Logger,
  ) {
    this.consumer = consumer
    this.options = options
    this.guarantee = guarantee
    this.logger = logger ?? createConsoleLogger('warn')
    if (options.topics === undefined) {
      throw new ConfigError('run.topics', 'an exactly-once run subscribes itself: give run.topics')
    }
    if (options.ack !== 'after-success' || options.ordering !== 'partition') {
      throw new ConfigError(
        'run.ack',
        "an exactly-once run commits each unit with its transaction: use ack 'after-success' and ordering 'partition'",
      )
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(() => {})
  }

  start(): void {
    const user = this.options.rebalanceListener
    this.consumer.subscribe(this.options.topics as string[] | RegExp, {
      onPartitionsAssigned: async (partitions) => {
        await this.position(partitions)
        await user.onPartitionsAssigned?.(partitions)
      },
      onPartitionsRevoked: async (partitions) => {
        await this.release(partitions)
        await user.onPartitionsRevoked?.(partitions)
      },
      onPartitionsLost: async (partitions) => {
        // Before waiting for the unit in flight: its transaction must abort, not commit.
        this.guarantee.partitionsLost?.(partitions)
        await this.release(partitions)
        await (user.onPartitionsLost ?? user.onPartitionsRevoked)?.(partitions)
      },
    })
    if (this.options.handleSignals) {
      process.once('SIGTERM', this.onSignal)
      process.once('SIGINT', this.onSignal)
    }
    this.loop = this.pollLoop()
  }

  stoppedPartitions(): [] {
    return []
  }

  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.stopPromise ??= this.shutdown(options.timeoutMs ?? this.options.drainTimeoutMs)
    return this.stopPromise
  }

  private readonly onSignal = (): void => {
    this.stop().catch(() => {})
  }

  /** Seeks `partitions` to where the guarantee says they continue; they are owned from then on. */
  private async position(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return
    const positions = await this.storedPositions(partitions)
    if (positions === undefined) return
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      const offset = positions.get(key) ?? null
      // Nothing stored: the consumer starts where it would anyway (the group's offset, else autoOffsetReset).
      if (offset !== null) this.consumer.seek({ ...tp, offset })
      this.expected.set(key, offset)
    }
  }

  /**
   * The positions the guarantee stored for `partitions`. A partition without one would sit unprocessed for
   * good, so a failed lookup (the store unreachable for a moment) is tried again; after
   * `positionLookupAttempts` the run fails rather than hang. Undefined when the run stops or fails meanwhile.
   */
  private async storedPositions(
    partitions: readonly TopicPartition[],
  ): Promise<Map<string, bigint | null> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.guarantee.positions(partitions)
      } catch (error) {
        if (this.stopping) return undefined
        this.report(error)
        if (attempt >= positionLookupAttempts) {
          this.fatal ??= error
          this.stop().catch(() => {})
          return undefined
        }
        await sleep(Math.min(100 * 2 ** attempt, 5000), this.stopController.signal)
      }
    }
  }

  /** Revoked or lost: no new unit starts on them, and the one in flight finishes before the rebalance goes on. */
  private async release(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      this.expected.delete(key)
      this.failures.delete(key)
      this.narrowed.delete(key)
    }
    await this.inFlight.catch(() => undefined)
    if (this.guarantee instanceof OffsetStoreGuarantee) this.guarantee.released(partitions)
  }

  private async pollLoop(): Promise<void> {
    try {
      while (!this.stopping) {
        const messages = await this.consumer.poll({ timeoutMs: pollTimeoutMs })
        await this.processPoll(byPartition(messages))
      }
    } catch (error) {
      if (this.stopping) return
      this.fatal = error
      this.report(error)
      this.stop().catch(() => {})
    }
  }

  /**
   * The polled messages, in rounds: each round takes the next unit of up to `partitionsConcurrency`
   * partitions and runs them at the same time, so a partition's units stay in order. A failed unit drops the
   * rest of its partition's messages (the partition was re-sought).
   *
   * Where each unit has a transaction of its own (an offset store: one database transaction each), the
   * units of a round commit independently. A Kafka producer has one transaction at a time, so the units of a
   * round share it and commit together, or abort together: then every partition of the round is re-sought to
   * its committed offset, and only the units whose handler threw count a failed attempt.
   */
  private async processPoll(runs: ConsumerMessage[][]): Promise<void> {
    const queues = runs.map((messages) => {
      const first = messages[0] as ConsumerMessage
      const key = topicPartitionKey(first.topic, first.partition)
      return { key, units: this.unitsOf(key, messages) }
    })
    while (!this.stopping) {
      // Decided synchronously with starting the round, so a revocation either waits for it or precedes it.
      const round: Unit[] = []
      for (const queue of queues) {
        if (round.length >= this.options.partitionsConcurrency) break
        const unit = this.nextUnit(queue)
        if (unit !== undefined) round.push(unit)
      }
      if (round.length === 0) return
      if (this.guarantee.oneTransactionAtATime && round.length > 1) await this.sharedRound(round, queues)
      else await this.separateRound(round, queues)
    }
  }

  /** A partition's polled messages as units: one message each, or one batch (narrowed: singles first). */
  private unitsOf(key: string, messages: ConsumerMessage[]): ConsumerMessage[][] {
    if (this.options.handler.kind === 'message') return messages.map((m) => [m])
    const until = this.narrowed.get(key)
    if (until === undefined) return [messages]
    const singles = messages.filter((m) => m.offset < until).map((m) => [m])
    const rest = messages.filter((m) => m.offset >= until)
    return rest.length === 0 ? singles : [...singles, rest]
  }

  /** The next unit of `queue` still to process, dropping what the partition has passed or no longer owns. */
  private nextUnit(queue: { key: string; units: ConsumerMessage[][] }): Unit | undefined {
    while (queue.units.length > 0) {
      if (!this.expected.has(queue.key)) {
        queue.units = []
        return undefined
      }
      const unit = queue.units.shift() as ConsumerMessage[]
      const next = this.expected.get(queue.key) ?? null
      const work = next === null ? unit : unit.filter((m) => m.offset >= next)
      if (work.length === 0) continue
      const first = work[0] as ConsumerMessage
      const last = work.at(-1) as ConsumerMessage
      return {
        key: queue.key,
        work,
        offset: { topic: first.topic, partition: first.partition, offset: last.offset + 1n },
      }
    }
    return undefined
  }

  /** Each unit of the round in a transaction of its own, at the same time. */
  private async separateRound(round: Unit[], queues: { key: string; units: ConsumerMessage[][] }[]) {
    const attempts = round.map((unit) =>
      this.guarantee.execute([unit.offset], (transaction) => this.handle(unit.work, transaction)),
    )
    const settled = Promise.allSettled(attempts)
    this.inFlight = settled
    const outcomes = await settled
    let fatal: { error: unknown } | undefined
    for (const [index, outcome] of outcomes.entries()) {
      const unit = round[index] as Unit
      if (outcome.status === 'fulfilled') this.succeeded(unit)
      else if (this.guarantee.isFatal(outcome.reason)) fatal ??= { error: outcome.reason }
      else {
        dropQueue(queues, unit.key)
        if (fatal === undefined) await this.failed(unit.work, outcome.reason, true)
      }
    }
    if (fatal !== undefined) throw fatal.error
  }

  /** The units of the round in one transaction, their handlers at the same time; all commit or none. */
  private async sharedRound(round: Unit[], queues: { key: string; units: ConsumerMessage[][] }[]) {
    const threw = new Set<Unit>()
    const attempt = this.guarantee.execute(
      round.map((unit) => unit.offset),
      async (transaction) => {
        // Every handler finishes before the transaction commits or aborts: none may still be writing in it.
        const outcomes = await Promise.allSettled(round.map((unit) => this.handle(unit.work, transaction)))
        const failure = outcomes.find((outcome) => outcome.status === 'rejected')
        outcomes.forEach((outcome, index) => {
          if (outcome.status === 'rejected') threw.add(round[index] as Unit)
        })
        if (failure !== undefined) throw failure.reason
      },
    )
    this.inFlight = attempt
    try {
      await attempt
      for (const unit of round) this.succeeded(unit)
    } catch (error) {
      if (this.guarantee.isFatal(error)) throw error
      for (const unit of round) {
        dropQueue(queues, unit.key)
        // A commit that failed by itself counts against every unit; a handler's failure only against its own.
        await this.failed(unit.work, error, threw.size === 0 || threw.has(unit))
      }
    }
  }

  private succeeded(unit: Unit): void {
    // A revocation that waited for this unit has already dropped the partition; setting it again would let
    // the rest of this poll's messages run on a partition another member now owns.
    if (!this.expected.has(unit.key)) return
    this.expected.set(unit.key, unit.offset.offset)
    this.failures.delete(unit.key)
    const until = this.narrowed.get(unit.key)
    if (until !== undefined && unit.offset.offset >= until) this.narrowed.delete(unit.key)
  }

  private async handle(messages: ConsumerMessage[], transaction: unknown): Promise<void> {
    const signal = this.stopController.signal
    const markAsConsumed = (): void => {}
    const handler = this.options.handler
    const decorated = messages.map(decorate)
    if (handler.kind === 'message') {
      await handler.eachMessage({
        message: decorated[0] as ProcessingMessage,
        signal,
        markAsConsumed,
        transaction,
      })
    } else {
      const first = messages[0] as ConsumerMessage
      await handler.eachBatch({
        batch: {
          topic: first.topic,
          partition: first.partition,
          messages: decorated,
          firstOffset: first.offset,
          lastOffset: (messages.at(-1) as ConsumerMessage).offset,
        },
        signal,
        markAsConsumed,
        transaction,
      })
    }
  }

  /**
   * A unit failed and was rolled back. Re-seeks the partition to where the guarantee says it stands now
   * (an unknown commit outcome may have moved it), then retries, dead-letters or stops.
   */
  private async failed(work: ConsumerMessage[], error: unknown, counts: boolean): Promise<void> {
    const first = work[0] as ConsumerMessage
    const tp = { topic: first.topic, partition: first.partition }
    const key = topicPartitionKey(tp.topic, tp.partition)
    if (!this.expected.has(key)) {
      // Typically a zombie's: the group moved the partition on, and the commit was refused.
      this.logger.warn('exactly-once unit rolled back; its partition was revoked or lost meanwhile', {
        guarantee: this.guarantee.name,
        ...tp,
        offset: first.offset,
        error,
      })
      return
    }
    const positions = await this.guarantee.positions([tp])
    const position = positions.get(key) ?? first.offset
    if (!this.expected.has(key)) return
    this.consumer.seek({ ...tp, offset: position })
    this.expected.set(key, position)
    // Aborted with a unit of another partition that failed: processed again, but not a failed attempt.
    if (!counts) return
    const failure = this.failures.get(key)
    const count = failure?.offset === first.offset ? failure.count + 1 : 1
    this.failures.set(key, { offset: first.offset, count })
    if (position !== first.offset) return
    this.logger.warn('exactly-once unit failed and was rolled back; processing it again', {
      guarantee: this.guarantee.name,
      ...tp,
      offset: first.offset,
      attempt: count,
      error,
    })
    if (count < this.options.attempts) {
      await sleep(
        Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (count - 1)),
        this.stopController.signal,
      )
      return
    }
    const deadLetter = this.options.deadLetter
    if (this.options.onExhausted === 'dead-letter' && deadLetter !== undefined && work.length > 1) {
      // Which message of the batch fails is unknown: hand them out one at a time up to the batch's end; the
      // ones that succeed commit, the one that keeps failing is dead-lettered alone.
      this.narrowed.set(key, (work.at(-1) as ConsumerMessage).offset + 1n)
      this.failures.delete(key)
      return
    }
    if (this.options.onExhausted === 'dead-letter' && deadLetter !== undefined) {
      const record = deadLetterRecord(deadLetter.topic, first, error, count)
      const offsets = [{ ...tp, offset: first.offset + 1n }]
      if (!this.expected.has(key)) return
      const letter = this.guarantee.execute(offsets, async (transaction) => {
        const producer = isProducer(transaction) ? transaction : deadLetter.producer
        if (producer === undefined) {
          throw new ConfigError(
            'run.deadLetter.producer',
            'an offset-store run needs a producer for dead letters',
          )
        }
        await producer.send(record)
      })
      // Registered like a unit, so a revocation waits for it before the partition moves on.
      this.inFlight = letter
      await letter
      if (!this.expected.has(key)) return
      this.consumer.seek({ ...tp, offset: first.offset + 1n })
      this.expected.set(key, first.offset + 1n)
      this.failures.delete(key)
      return
    }
    throw error
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true
    process.off('SIGTERM', this.onSignal)
    process.off('SIGINT', this.onSignal)
    const timer = setTimeout(() => this.stopController.abort(), timeoutMs)
    try {
      await this.loop
      await this.inFlight.catch(() => undefined)
    } finally {
      clearTimeout(timer)
      await this.guarantee.close?.().catch((error: unknown) => this.report(error))
      await this.consumer.close().catch((error: unknown) => {
        this.report(error)
        this.fatal ??= error
      })
    }
    if (this.fatal !== undefined) {
      this.rejectDone(this.fatal)
      throw this.fatal
    }
    this.resolveDone()
  }

  private report(error: unknown): void {
    if (this.options.onError !== undefined) {
      try {
        this.options.onError(error)
        return
      } catch (callbackError) {
        this.logger.error('run onError callback threw', { error: callbackError })
      }
    }
    this.logger.error('processing error', { error })
  }
}

function isProducer(value: unknown): value is Producer {
  return typeof value === 'object' && value !== null && 'sendOffsetsToTransaction' in value
}

/** One partition's unit of work in a round, with the next offset its transaction stores. */
interface Unit {
  key: string
  work: ConsumerMessage[]
  offset: TopicPartitionOffset
}

/** Drops the rest of a partition's polled messages: it was re-sought, they will be fetched again. */
function dropQueue(queues: { key: string; units: ConsumerMessage[][] }[], key: string): void {
  for (const queue of queues) if (queue.key === key) queue.units = []
}

/** One partition's messages per entry, in poll order. */
function byPartition(messages: readonly ConsumerMessage[]): ConsumerMessage[][] {
  const runs = new Map<string, ConsumerMessage[]>()
  for (const message of messages) {
    const key = topicPartitionKey(message.topic, message.partition)
    const run = runs.get(key)
    if (run === undefined) runs.set(key, [message])
    else run.push(message)
  }
  return [...runs.values()]
}

/** A message of an exactly-once unit: it is acknowledged by its transaction, so only ack() is a no-op. */
function decorate(message: ConsumerMessage): ProcessingMessage {
  const refuse = (): never => {
    throw new IllegalStateError(
      'nack() and reject() are not available in an exactly-once run: throw to roll the unit back and retry it',
    )
  }
  return Object.assign(Object.create(Object.getPrototypeOf(message) as object) as ConsumerMessage, message, {
    ack: async () => {},
    nack: refuse,
    reject: refuse,
  }) as unknown as ProcessingMessage
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
