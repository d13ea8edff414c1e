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
 * it commits with the original's offset; otherwise the run stops with the error. A fenced instance (another
 * took its partitions or transactional id over) stops at once.
 */

import { ConfigError, IllegalStateError } from '../common/errors.ts'
import { createConsoleLogger, type Logger } from '../common/logger.ts'
import type { TopicPartition } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { Consumer } from '../consumer/consumer.ts'
import type { ConsumerMessage } from '../consumer/message.ts'
import type { Producer } from '../producer/producer.ts'
import { deadLetterRecord } from './dead-letters.ts'
import { OffsetStoreGuarantee } from './guarantees.ts'
import type { ProcessingGuarantee } from './processing-guarantee.ts'
import type { ProcessingMessage, ResolvedRunOptions } from './run-options.ts'

const pollTimeoutMs = 200

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
    const positions = await this.guarantee.positions(partitions)
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      const offset = positions.get(key) ?? null
      // Nothing stored: the consumer starts where it would anyway (the group's offset, else autoOffsetReset).
      if (offset !== null) this.consumer.seek({ ...tp, offset })
      this.expected.set(key, offset)
    }
  }

  /** Revoked or lost: no new unit starts on them, and the one in flight finishes before the rebalance goes on. */
  private async release(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      this.expected.delete(key)
      this.failures.delete(key)
    }
    await this.inFlight.catch(() => undefined)
    if (this.guarantee instanceof OffsetStoreGuarantee) this.guarantee.released(partitions)
  }

  private async pollLoop(): Promise<void> {
    try {
      while (!this.stopping) {
        const messages = await this.consumer.poll({ timeoutMs: pollTimeoutMs })
        for (const run of byPartition(messages)) {
          if (this.stopping) break
          await this.processPartition(run)
        }
      }
    } catch (error) {
      if (this.stopping) return
      this.fatal = error
      this.report(error)
      this.stop().catch(() => {})
    }
  }

  /** Units of one partition's polled messages, in order; a failure drops the rest (the partition was re-sought). */
  private async processPartition(messages: ConsumerMessage[]): Promise<void> {
    const units = this.options.handler.kind === 'message' ? messages.map((m) => [m]) : [messages]
    for (const unit of units) {
      if (this.stopping) return
      // Decided synchronously with starting the unit, so a revocation either waits for it or precedes it.
      const first = unit[0] as ConsumerMessage
      const key = topicPartitionKey(first.topic, first.partition)
      if (!this.expected.has(key)) return
      const next = this.expected.get(key) ?? null
      const work = next === null ? unit : unit.filter((m) => m.offset >= next)
      if (work.length === 0) continue
      const last = work.at(-1) as ConsumerMessage
      const offsets = [{ topic: first.topic, partition: first.partition, offset: last.offset + 1n }]
      const attempt = this.guarantee.execute(offsets, (transaction) => this.handle(work, transaction))
      this.inFlight = attempt
      try {
        await attempt
        this.expected.set(key, last.offset + 1n)
        this.failures.delete(key)
      } catch (error) {
        if (this.guarantee.isFatal(error)) throw error
        await this.failed(work[0] as ConsumerMessage, error)
        return
      }
    }
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
  private async failed(first: ConsumerMessage, error: unknown): Promise<void> {
    const tp = { topic: first.topic, partition: first.partition }
    const key = topicPartitionKey(tp.topic, tp.partition)
    if (!this.expected.has(key)) return
    const positions = await this.guarantee.positions([tp])
    const position = positions.get(key) ?? first.offset
    if (!this.expected.has(key)) return
    this.consumer.seek({ ...tp, offset: position })
    this.expected.set(key, position)
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
    if (
      this.options.onExhausted === 'dead-letter' &&
      deadLetter !== undefined &&
      this.options.handler.kind === 'message'
    ) {
      const record = deadLetterRecord(deadLetter.topic, first, error, count)
      const offsets = [{ ...tp, offset: first.offset + 1n }]
      await this.guarantee.execute(offsets, async (transaction) => {
        const producer = isProducer(transaction) ? transaction : deadLetter.producer
        if (producer === undefined) {
          throw new ConfigError(
            'run.deadLetter.producer',
            'an offset-store run needs a producer for dead letters',
          )
        }
        await producer.send(record)
      })
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
