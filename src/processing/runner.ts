/**
 * `consumer.run()`: a processing loop over a group consumer, in the style of Karafka and FastStream. One
 * background loop polls and queues messages per partition; workers hand each partition's messages to the
 * handler in offset order, up to `partitionsConcurrency` partitions at once. Handlers mark messages consumed
 * (by `ack` mode, by `markAsConsumed`, or by `ack()`/`reject()`/throwing an outcome); marks become committed
 * offsets on the commit cadence, only over an unbroken run of marked messages (see {@link PartitionMarks}).
 *
 * The consumer must not commit on its own behind the runner's back: auto-commit of *automatically stored*
 * offsets would commit what was polled, not what was processed. So the consumer needs
 * `enableAutoCommit: false` or `enableAutoOffsetStore: false`.
 *
 * Rebalances: when the group revokes partitions, the runner stops handing out their messages, waits (up to
 * `drainTimeoutMs`) for their handlers, commits their marks while this member still owns them, and only then
 * lets the rebalance go on. Lost partitions (another member may own them already) are dropped uncommitted.
 */

import { CommitFailedError, ConfigError, KafkaError, UncommittedOffsetsError } from '../common/errors.ts'
import { createConsoleLogger, type Logger } from '../common/logger.ts'
import { TurnBudget } from '../common/turn-budget.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import type { Consumer } from '../consumer/consumer.ts'
import type { ConsumerMessage } from '../consumer/message.ts'
import type { Producer } from '../producer/producer.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { type DeadLetterSink, deadLetterRecord, producerDeadLetterSink } from './dead-letters.ts'
import { ExactlyOnceRunner } from './exactly-once-runner.ts'
import { KafkaTransactionGuarantee, OffsetStoreGuarantee } from './guarantees.ts'
import { metadataNearLimit, rangesWorthMeasuring } from './metadata-budget.ts'
import {
  AckMessage,
  describeReason,
  NackMessage,
  PartitionStoppedError,
  RejectMessage,
  validateDelay,
} from './outcomes.ts'
import { PartitionMarks } from './partition-marks.ts'
import type { ProcessingGuarantee } from './processing-guarantee.ts'
import {
  type MarkAsConsumed,
  type ProcessingMessage,
  type ResolvedRunOptions,
  type RunOptions,
  resolveRunOptions,
} from './run-options.ts'

/** What a running `run()` gives back. */
export interface RunHandle {
  /**
   * Stops gracefully: no more messages are handed out, in-flight handlers may finish (their signal aborts
   * after `timeoutMs`, default `drainTimeoutMs`), `onShutdown` runs, marked offsets are committed, and the
   * consumer leaves the group and closes. Calling it again returns the same promise.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>
  /** Settles when the run has ended: resolves after `stop()`, rejects with the error that ended it otherwise. */
  readonly done: Promise<void>
  /** Partitions stopped by exhausted retries, with the message they stopped at. */
  stoppedPartitions(): PartitionStoppedError[]
}

/** What the code that starts a run supplies besides the options. */
export interface RunnerContext {
  logger?: Logger
  /** Writes dead letters; a transactional run gives one that writes inside its transaction. */
  deadLetterSink?: DeadLetterSink
  /** Makes the producer for dead letters when neither a sink nor `deadLetter.producer` is given. */
  createProducer?: () => Producer
  /**
   * Commits the runner's offsets (with their completed-beyond metadata) instead of `consumer.commit`: a
   * transactional run sends them with its transaction. Resolving means they are committed.
   */
  commitOffsets?: (offsets: TopicPartitionOffset[]) => Promise<void>
}

/** Longest one poll waits, so a stop request is noticed quickly. */
const pollTimeoutMs = 200
/** Queued messages per partition above which the partition is paused until its queue drains. */
const queueHighWater = 1000

type PauseReason = 'backpressure' | 'memory' | 'nack-delay' | 'revoking' | 'stopped'

/** Bytes a message holds while queued or in a handler: key, value and headers, plus a fixed overhead. */
function messageBytes(message: ConsumerMessage): number {
  let bytes = 128 + (message.key?.length ?? 0) + (message.value?.length ?? 0)
  for (const header of message.headers) bytes += header.key.length + (header.value?.length ?? 0)
  return bytes
}

type Settlement = 'open' | 'acked' | 'nacked' | 'rejected'

/** One message in a handler's hands, with how it was settled. */
interface Delivery {
  message: ConsumerMessage
  state: Settlement
  nackDelayMs: number
}

/** The runner's state of one partition while it is assigned. */
class PartitionWork {
  readonly tp: TopicPartition
  readonly key: string
  readonly marks: PartitionMarks
  readonly queue: ConsumerMessage[] = []
  /** Bytes of this partition's messages queued or in handlers. */
  bytes = 0
  readonly pauseReasons = new Set<PauseReason>()
  readonly controller = new AbortController()
  /** Aborted when the partition is released: a retry waiting out its backoff gives up at once. */
  readonly releasing = new AbortController()
  /** The next offset expected from the fetcher; older ones are duplicates after a seek. */
  nextOffset: bigint | undefined
  /** Value of the runner's seek counter at this partition's last seek; polls started before it are stale. */
  lastSeek = 0
  /** The handler call in progress, if any (`ordering: 'partition'`). */
  current: Promise<void> | undefined
  /** The handler calls in progress (`ordering: 'key' | 'none'`). */
  readonly running = new Set<Promise<void>>()
  /** Keys of the messages in `running`, with how many (`ordering: 'key'`). */
  readonly keysInFlight = new Map<string, number>()
  /**
   * Offsets handed to a handler and perhaps not settled yet (`ordering: 'key' | 'none'`), pruned as they
   * settle. Out of order, queued messages are open in the marks too, but a message still waiting for a slot
   * is backlog, not a forgotten ack: only these count for the unsettled warning.
   */
  readonly started = new Set<bigint>()
  /** Consecutive failures of the message at `failingOffset`. */
  failingOffset: bigint | undefined
  failures = 0
  detached = false
  stopped: PartitionStoppedError | undefined
  /** The oldest unsettled message as last seen by the unsettled check, and since when. */
  unsettled: { offset: bigint; since: number; warned: boolean } | undefined
  nackTimer: NodeJS.Timeout | undefined

  constructor(topic: string, partition: number) {
    this.tp = { topic, partition }
    this.key = topicPartitionKey(topic, partition)
    this.marks = new PartitionMarks(topic, partition)
  }

  get runnable(): boolean {
    return this.accepting && this.current === undefined
  }

  /** Whether the partition may hand out a message now, in-flight limits aside. */
  get accepting(): boolean {
    return (
      !this.detached &&
      this.queue.length > 0 &&
      this.stopped === undefined &&
      !this.pauseReasons.has('nack-delay') &&
      !this.pauseReasons.has('revoking')
    )
  }
}

export class MessageRunner implements RunHandle {
  readonly done: Promise<void>
  private readonly consumer: Consumer
  private readonly options: ResolvedRunOptions
  private readonly logger: Logger
  private readonly context: RunnerContext
  /** Where dead letters go; made on first use unless the context gave one. */
  private sink: DeadLetterSink | undefined
  private readonly works = new Map<string, PartitionWork>()
  private readonly stopController = new AbortController()
  /** Aborted as `stop()` begins: retries waiting out a backoff give up, their messages stay uncommitted. */
  private readonly stoppingController = new AbortController()
  /**
   * Queued messages reach handlers through promise continuations only; without turns of the event loop a
   * synchronous handler over a backlog would starve the commit clock, heartbeats and stop requests.
   */
  private readonly turns = new TurnBudget()
  private active = 0
  /** Bytes of all messages queued or in handlers; at `maxBufferedBytes` every partition pauses. */
  private bytes = 0
  private memoryPaused = false
  private seeks = 0
  private marksSinceCommit = 0
  private commitTimer: NodeJS.Timeout | undefined
  private unsettledTimer: NodeJS.Timeout | undefined
  private committing: Promise<void> | undefined
  private commitAgain = false
  /** The broker refused the completed-beyond metadata as too large: commits go without it (see {@link send}). */
  private plainCommits = false
  private stopping = false
  private stopPromise: Promise<void> | undefined
  private loop: Promise<void> | undefined
  private fatal: unknown
  private resolveDone!: () => void
  private rejectDone!: (error: unknown) => void
  private readonly stopped: PartitionStoppedError[] = []
  /**
   * Marks of partitions lost (fenced, evicted, a poll timeout) before they were committed, by partition; a
   * later successful commit of the partition clears its entry. Whatever is left when the run stops makes
   * `stop()` reject with an {@link UncommittedOffsetsError}: a graceful stop must never look clean when
   * finished work did not reach the group.
   */
  private readonly lostUncommitted = new Map<string, TopicPartitionOffset>()
  private readonly onSignal = (): void => {
    this.stopInBackground()
  }

  constructor(consumer: Consumer, options: RunOptions, context: RunnerContext) {
    this.consumer = consumer
    // The consumer's `runAck` is the run's default acknowledgement mode.
    const given = typeof options === 'object' && options !== null
    this.options = resolveRunOptions(
      given ? { ...options, ack: options.ack ?? consumer.commitOptions.runAck } : options,
    )
    this.context = context
    this.logger = context.logger ?? createConsoleLogger('warn')
    this.sink = context.deadLetterSink
    const commitOptions = consumer.commitOptions
    if (commitOptions.enableAutoCommit && commitOptions.enableAutoOffsetStore) {
      throw new ConfigError(
        'consumer.enableAutoCommit',
        'run() commits the offsets of processed messages itself, but this consumer also auto-commits the ' +
          'offsets of polled messages; create it with enableAutoCommit: false (or enableAutoOffsetStore: false)',
      )
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    // `done` is for whoever wants it; an unobserved failure is still reported through stop()/onError.
    this.done.catch(() => {})
  }

  /** Subscribes (when `topics` is given) and starts the poll loop and the commit clock. */
  start(): void {
    const { topics, rebalanceListener: user } = this.options
    if (topics !== undefined) {
      this.consumer.subscribe(topics, {
        onPartitionsAssigned: async (partitions) => {
          await this.restore(partitions)
          await user.onPartitionsAssigned?.(partitions)
        },
        onPartitionsRevoked: async (partitions) => {
          await this.release(partitions, true)
          await user.onPartitionsRevoked?.(partitions)
        },
        onPartitionsLost: async (partitions) => {
          await this.release(partitions, false)
          await (user.onPartitionsLost ?? user.onPartitionsRevoked)?.(partitions)
        },
      })
    }
    this.commitTimer = setInterval(() => void this.commit(), this.options.everyMs)
    this.commitTimer.unref()
    const { unsettledWarningMs } = this.options
    if (unsettledWarningMs > 0) {
      this.unsettledTimer = setInterval(
        () => this.checkUnsettled(),
        Math.max(50, Math.min(1000, unsettledWarningMs / 2)),
      )
      this.unsettledTimer.unref()
    }
    if (this.options.handleSignals) {
      process.once('SIGTERM', this.onSignal)
      process.once('SIGINT', this.onSignal)
    }
    this.loop = this.pollLoop()
  }

  /**
   * Newly assigned partitions: reads their committed offsets with the metadata committed with them, so what a
   * previous owner completed beyond its commit is skipped. A failed read only costs reprocessing.
   */
  private async restore(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return
    try {
      const committed = await this.consumer.committed(partitions)
      for (const entry of committed) {
        if (entry.offset === null) continue
        const key = topicPartitionKey(entry.topic, entry.partition)
        let work = this.works.get(key)
        if (work === undefined) {
          work = new PartitionWork(entry.topic, entry.partition)
          this.works.set(key, work)
        }
        work.marks.restore(entry.offset, entry.metadata)
      }
    } catch (error) {
      this.report(error)
    }
  }

  /** Warns, once per message, about a partition whose oldest unsettled message waits too long. */
  private checkUnsettled(): void {
    const now = performance.now()
    for (const work of this.works.values()) {
      const oldest = this.options.ordering === 'partition' ? work.marks.oldestOpen : this.oldestStarted(work)
      if (oldest === undefined || work.detached) {
        work.unsettled = undefined
        continue
      }
      if (work.unsettled?.offset !== oldest) {
        work.unsettled = { offset: oldest, since: now, warned: false }
        continue
      }
      const waitingMs = Math.round(now - work.unsettled.since)
      if (work.unsettled.warned || waitingMs < this.options.unsettledWarningMs) continue
      work.unsettled.warned = true
      const event = { topic: work.tp.topic, partition: work.tp.partition, offset: oldest, waitingMs }
      this.logger.warn(
        `partition ${work.tp.topic}-${work.tp.partition}: message ${oldest} unsettled for ${waitingMs} ms; ` +
          'nothing after it is committed until it is acked, rejected or nacked',
        { ...event },
      )
      try {
        this.options.onUnsettled?.(event)
      } catch (error) {
        this.report(error)
      }
    }
  }

  /** The lowest offset in a handler's hands and not settled, out of order; forgets the settled ones. */
  private oldestStarted(work: PartitionWork): bigint | undefined {
    let oldest: bigint | undefined
    for (const offset of work.started) {
      if (!work.marks.isOpen(offset)) work.started.delete(offset)
      else if (oldest === undefined || offset < oldest) oldest = offset
    }
    return oldest
  }

  stoppedPartitions(): PartitionStoppedError[] {
    return [...this.stopped]
  }

  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.stopPromise ??= this.shutdown(options.timeoutMs ?? this.options.drainTimeoutMs)
    return this.stopPromise
  }

  /**
   * A stop nobody called: the outcome reaches the application through `done` (and any later `stop()`), so the
   * rejection of this call must not also surface as an unhandled rejection, which would end the process.
   */
  private stopInBackground(): void {
    this.stop().catch(() => {})
  }

  // -- fetching -----------------------------------------------------------------------------------------------

  private async pollLoop(): Promise<void> {
    while (!this.stopping) {
      const seeksBefore = this.seeks
      let messages: ConsumerMessage[]
      try {
        messages = await this.consumer.poll({ timeoutMs: pollTimeoutMs })
      } catch (error) {
        if (this.stopping) return
        if (error instanceof KafkaError && error.retriable) {
          this.logger.warn('poll failed; retrying', { error })
          continue
        }
        this.fatal = error
        this.report(error)
        this.stopInBackground()
        return
      }
      for (const message of messages) this.enqueue(message, seeksBefore)
      this.schedule()
    }
  }

  private enqueue(message: ConsumerMessage, seeksBefore: number): void {
    let work = this.works.get(topicPartitionKey(message.topic, message.partition))
    if (work === undefined) {
      // A record polled before its partition was revoked and released: its next owner reads it again.
      const owned = this.consumer
        .assignment()
        .some((tp) => tp.topic === message.topic && tp.partition === message.partition)
      if (!owned) return
      work = new PartitionWork(message.topic, message.partition)
      this.works.set(work.key, work)
    }
    // Fetched before the partition was sought back (a nack), or already queued once: not for handing out.
    if (work.detached || work.lastSeek > seeksBefore || work.pauseReasons.has('revoking')) return
    if (work.nextOffset !== undefined && message.offset < work.nextOffset) return
    work.nextOffset = message.offset + 1n
    if (work.marks.wasCompleted(message.offset) || work.marks.isConsumed(message.offset)) return
    // Out of order, a queued message must hold the committed offset back from the moment it is queued.
    if (this.options.ordering !== 'partition') {
      // Already queued once (a re-fetch after the fetcher moved back): the first copy is the one handled.
      if (!work.marks.isAhead(message.offset)) return
      work.marks.begin(message.offset)
    }
    work.queue.push(message)
    this.hold(work, message)
  }

  /** Counts a queued message's bytes and pauses fetching where a bound is reached. */
  private hold(work: PartitionWork, message: ConsumerMessage): void {
    const bytes = messageBytes(message)
    work.bytes += bytes
    this.bytes += bytes
    if (work.queue.length >= queueHighWater || work.bytes >= this.options.maxBufferedBytesPerPartition) {
      this.pause(work, 'backpressure')
    }
    if (this.memoryPaused) this.pause(work, 'memory')
    else if (this.bytes >= this.options.maxBufferedBytes) {
      this.memoryPaused = true
      for (const other of this.works.values()) this.pause(other, 'memory')
    }
  }

  /** Messages left the runner (handled, or dropped from a queue): their bytes no longer count. */
  private releaseBytes(work: PartitionWork, messages: readonly ConsumerMessage[]): void {
    let bytes = 0
    for (const message of messages) bytes += messageBytes(message)
    work.bytes -= bytes
    this.bytes -= bytes
    // Resume at half the bounds, so a partition does not flap between paused and fetching.
    if (
      work.queue.length < queueHighWater / 2 &&
      work.bytes < this.options.maxBufferedBytesPerPartition / 2
    ) {
      this.resume(work, 'backpressure')
    }
    if (this.memoryPaused && this.bytes < this.options.maxBufferedBytes / 2) {
      this.memoryPaused = false
      for (const other of this.works.values()) this.resume(other, 'memory')
    }
  }

  private clearQueue(work: PartitionWork): void {
    const dropped = work.queue.splice(0)
    this.releaseBytes(work, dropped)
  }

  private pause(work: PartitionWork, reason: PauseReason): void {
    const wasPaused = work.pauseReasons.size > 0
    work.pauseReasons.add(reason)
    if (wasPaused || work.detached) return
    try {
      this.consumer.pause([work.tp])
    } catch {
      // Not assigned any more: nothing to pause.
    }
  }

  private resume(work: PartitionWork, reason: PauseReason): void {
    if (!work.pauseReasons.delete(reason) || work.pauseReasons.size > 0 || work.detached) return
    try {
      this.consumer.resume([work.tp])
    } catch {
      // Not assigned any more.
    }
  }

  // -- handing out --------------------------------------------------------------------------------------------

  /** Starts handlers for runnable partitions while slots are free, longest-waiting partition first. */
  private schedule(): void {
    if (this.stopping) return
    if (this.options.ordering !== 'partition') {
      this.scheduleMessages()
      return
    }
    for (const work of this.works.values()) {
      if (this.active >= this.options.partitionsConcurrency) return
      if (!work.runnable) continue
      // Re-inserting moves the partition to the back, so busy partitions take turns.
      this.works.delete(work.key)
      this.works.set(work.key, work)
      this.runStep(work)
    }
  }

  /** `ordering: 'key' | 'none'`: one message per partition per pass, until the limits are reached. */
  private scheduleMessages(): void {
    const { maxInFlight, maxInFlightPerPartition } = this.options
    let progressed = true
    while (progressed) {
      progressed = false
      for (const work of this.works.values()) {
        if (this.active >= maxInFlight) return
        if (!work.accepting || work.running.size >= maxInFlightPerPartition) continue
        if (this.metadataFull(work)) continue
        const message = this.take(work)
        if (message === undefined) continue
        this.runMessage(work, message)
        progressed = true
      }
    }
  }

  /**
   * Out of order: whether what the partition completed beyond its gap, with what its handlers in progress may
   * still complete, nears the commit metadata's limit.
   */
  private metadataFull(work: PartitionWork): boolean {
    const inFlight = work.running.size
    // Counting the ranges is cheap while few messages are open; encoding them is only worth it near the limit.
    if (inFlight < rangesWorthMeasuring && !work.marks.rangesAtLeast(rangesWorthMeasuring - inFlight)) {
      return false
    }
    return metadataNearLimit(work.marks.completedBeyond(), inFlight)
  }

  /** The first queued message whose key is not in a handler (`'key'`), or the first one (`'none'`). */
  private take(work: PartitionWork): ConsumerMessage | undefined {
    if (this.options.ordering === 'none') return work.queue.shift()
    const index = work.queue.findIndex(
      (m) => m.key === null || !work.keysInFlight.has(m.key.toString('latin1')),
    )
    return index < 0 ? undefined : work.queue.splice(index, 1)[0]
  }

  private runMessage(work: PartitionWork, message: ConsumerMessage): void {
    const key =
      this.options.ordering === 'key' && message.key !== null ? message.key.toString('latin1') : undefined
    if (key !== undefined) work.keysInFlight.set(key, (work.keysInFlight.get(key) ?? 0) + 1)
    this.active++
    const running: Promise<void> = this.processMessage(work, message)
      .catch((error: unknown) => this.report(error))
      .finally(() => {
        this.active--
        work.running.delete(running)
        // Settled by its handler: nothing to watch. Left open (a manual ack still due), the check prunes it.
        if (!work.marks.isOpen(message.offset)) work.started.delete(message.offset)
        if (key !== undefined) {
          const left = (work.keysInFlight.get(key) ?? 1) - 1
          if (left === 0) work.keysInFlight.delete(key)
          else work.keysInFlight.set(key, left)
        }
        this.releaseBytes(work, [message])
        this.schedule()
      })
    work.running.add(running)
  }

  /**
   * One message out of order (`ordering: 'key' | 'none'`). A failure is tried again here, after the backoff,
   * without a seek: the messages around it go on, only this one (and, by key, its successors) waits.
   */
  private async processMessage(work: PartitionWork, message: ConsumerMessage): Promise<void> {
    const turn = this.turns.spend(1)
    if (turn !== undefined) {
      await turn
      if (work.detached || this.stopping) return
    }
    // Marked while it waited in the queue (markAsConsumed of a later message): nothing left to do.
    if (!work.marks.isOpen(message.offset)) return
    work.started.add(message.offset)
    const delivery: Delivery = { message, state: 'open', nackDelayMs: 0 }
    if (this.options.ack === 'before-processing') {
      if (work.marks.mark(message)) this.noteMarked()
      if (!(await this.commitThrough(work, message.offset))) return
    }
    const handler = this.options.handler
    if (handler.kind !== 'message') return
    const markAsConsumed: MarkAsConsumed = (m) => this.markAsConsumed(m)
    let attempts = 0
    for (;;) {
      attempts++
      const signal = AbortSignal.any([this.stopController.signal, work.controller.signal])
      let outcome: { ok: true } | { ok: false; error: unknown }
      try {
        await handler.eachMessage({ message: this.decorate(work, delivery), signal, markAsConsumed })
        outcome = { ok: true }
      } catch (error) {
        outcome = { ok: false, error }
      }
      if (work.detached) return
      const againInMs = await this.concludeMessage(work, delivery, outcome, attempts)
      if (againInMs === undefined) return
      await this.waitFor(work, againInMs)
      if (work.detached || this.stopping || work.releasing.signal.aborted) return
      delivery.state = 'open'
    }
  }

  /** Settles one out-of-order message by its outcome; returns the wait before trying again, if it is tried again. */
  private async concludeMessage(
    work: PartitionWork,
    delivery: Delivery,
    outcome: { ok: true } | { ok: false; error: unknown },
    attempts: number,
  ): Promise<number | undefined> {
    const error = outcome.ok ? undefined : outcome.error
    if (delivery.state === 'nacked') return delivery.nackDelayMs
    if (delivery.state !== 'open') return undefined
    if (outcome.ok) {
      if (this.options.ack === 'after-success') this.settle(work, delivery, 'acked')
      return undefined
    }
    if (error instanceof AckMessage) this.settle(work, delivery, 'acked')
    else if (error instanceof RejectMessage) this.settle(work, delivery, 'rejected', error.reason)
    else if (error instanceof NackMessage) return error.delayMs
    else if (this.options.ack === 'before-processing') this.report(error)
    else if (attempts >= this.options.attempts || !this.isRetriable(error, delivery.message)) {
      await this.exhausted(work, delivery, error, attempts)
    } else {
      this.logger.warn('message handler failed; trying it again', {
        topic: work.tp.topic,
        partition: work.tp.partition,
        offset: delivery.message.offset,
        attempt: attempts,
        error,
      })
      return this.backoff(attempts)
    }
    return undefined
  }

  /** The wait before try `failures + 1`: exponential, capped, with jitter. */
  private backoff(failures: number): number {
    const { initialBackoffMs, maxBackoffMs, jitter } = this.options
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (failures - 1))
    return Math.round(Math.min(maxBackoffMs, base * (1 + jitter * (2 * Math.random() - 1))))
  }

  /** Waits `ms`, or less when the partition is released or the run stops. */
  private waitFor(work: PartitionWork, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    const signal = AbortSignal.any([this.stoppingController.signal, work.releasing.signal])
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done)
    })
  }

  private runStep(work: PartitionWork): void {
    const messages =
      this.options.handler.kind === 'message' ? [work.queue.shift() as ConsumerMessage] : work.queue.splice(0)
    this.active++
    work.current = this.process(work, messages)
      .catch((error: unknown) => this.report(error))
      .finally(() => {
        this.active--
        work.current = undefined
        this.releaseBytes(work, messages)
        this.schedule()
      })
  }

  private async process(work: PartitionWork, messages: ConsumerMessage[]): Promise<void> {
    const turn = this.turns.spend(messages.length)
    if (turn !== undefined) {
      await turn
      // The loop's turn may have revoked the partition or stopped the run.
      if (work.detached || this.stopping) return
    }
    const deliveries: Delivery[] = []
    for (const message of messages) {
      if (work.marks.isConsumed(message.offset)) continue
      work.marks.begin(message.offset)
      deliveries.push({ message, state: 'open', nackDelayMs: 0 })
    }
    const first = deliveries[0]
    const last = deliveries.at(-1)
    if (first === undefined || last === undefined) return
    if (this.options.ack === 'before-processing') {
      this.markThrough(work, last.message)
      // At-most-once holds only if the mark reaches the group before the handler runs: a crash after the
      // handler but before a cadence commit would have the next owner process these messages again.
      if (!(await this.commitThrough(work, last.message.offset))) return
    }
    const signal = AbortSignal.any([this.stopController.signal, work.controller.signal])
    const markAsConsumed: MarkAsConsumed = (message) => this.markAsConsumed(message)
    let outcome: { ok: true } | { ok: false; error: unknown }
    try {
      const handler = this.options.handler
      if (handler.kind === 'message') {
        await handler.eachMessage({ message: this.decorate(work, first), signal, markAsConsumed })
      } else {
        const batchMessages = deliveries.map((d) => this.decorate(work, d))
        await handler.eachBatch({
          batch: {
            topic: work.tp.topic,
            partition: work.tp.partition,
            messages: batchMessages,
            firstOffset: first.message.offset,
            lastOffset: last.message.offset,
          },
          signal,
          markAsConsumed,
        })
      }
      outcome = { ok: true }
    } catch (error) {
      outcome = { ok: false, error }
    }
    if (work.detached) return
    await this.conclude(work, deliveries, outcome)
  }

  /** Settles what the handler left open, by its outcome, then applies a nack if any. */
  private async conclude(
    work: PartitionWork,
    deliveries: Delivery[],
    outcome: { ok: true } | { ok: false; error: unknown },
  ): Promise<void> {
    const open = deliveries.filter((d) => d.state === 'open')
    const error = outcome.ok ? undefined : outcome.error
    if (outcome.ok) {
      if (this.options.ack === 'after-success') for (const d of open) this.settle(work, d, 'acked')
    } else if (error instanceof AckMessage) {
      for (const d of open) this.settle(work, d, 'acked')
    } else if (error instanceof RejectMessage) {
      for (const d of open) this.settle(work, d, 'rejected', error.reason)
    } else if (error instanceof NackMessage) {
      const d = open[0]
      if (d !== undefined) this.settle(work, d, 'nacked', undefined, error.delayMs)
    } else if (this.options.ack === 'before-processing') {
      // At-most-once: the messages were marked before the handler ran; they are not tried again.
      this.report(error)
    } else {
      const d = open[0]
      if (d !== undefined) await this.fail(work, d, error)
      // A batch whose failing message was dead-lettered or skipped: the rest of it was never handled, so it
      // is handed out again (a stopped partition stays where it stopped).
      const rest = deliveries.find((other) => other.state === 'open')
      if (rest !== undefined && work.stopped === undefined && !deliveries.some((o) => o.state === 'nacked')) {
        this.settle(work, rest, 'nacked')
      }
    }
    const nacked = deliveries.find((d) => d.state === 'nacked')
    if (nacked !== undefined) this.redeliver(work, nacked.message.offset, nacked.nackDelayMs)
    else if (work.failingOffset !== undefined && work.marks.isConsumed(work.failingOffset)) {
      work.failingOffset = undefined
      work.failures = 0
    }
  }

  /**
   * A handler failure: deliver the message again after a backoff (only this partition waits; the poll loop,
   * and so heartbeats and other partitions, go on), or apply `retry.onExhausted` after the last try or to a
   * failure `retry.retriable` rejects. Runs while the partition's step is in progress, so nothing later in
   * the partition is handed out until a dead letter is acknowledged.
   */
  private async fail(work: PartitionWork, delivery: Delivery, error: unknown): Promise<void> {
    const offset = delivery.message.offset
    if (work.failingOffset !== offset) {
      work.failingOffset = offset
      work.failures = 0
    }
    work.failures++
    if (work.failures >= this.options.attempts || !this.isRetriable(error, delivery.message)) {
      await this.exhausted(work, delivery, error, work.failures)
      return
    }
    const delayMs = this.backoff(work.failures)
    this.logger.warn('message handler failed; delivering the message again', {
      topic: work.tp.topic,
      partition: work.tp.partition,
      offset,
      attempt: work.failures,
      error,
    })
    this.settle(work, delivery, 'nacked', undefined, delayMs)
  }

  private isRetriable(error: unknown, message: ConsumerMessage): boolean {
    const retriable = this.options.retriable
    if (retriable === undefined) return true
    try {
      return retriable(error, message)
    } catch (predicateError) {
      this.report(predicateError)
      return true
    }
  }

  /** The message failed for the last time: stop its partition, dead-letter it, or skip it. */
  private async exhausted(
    work: PartitionWork,
    delivery: Delivery,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const { onExhausted } = this.options
    if (onExhausted === 'skip') {
      this.settle(work, delivery, 'rejected', error)
      return
    }
    if (onExhausted === 'dead-letter') {
      const written = await this.writeDeadLetter(work, delivery, error, attempts)
      if (written) {
        // Marked only now that the broker holds the dead letter: a crash before re-delivers the original.
        if (!work.detached) this.settle(work, delivery, 'acked')
        return
      }
      if (work.detached) return
      // The dead letter could not be written: stopping is the one choice that neither loses nor loops.
    }
    this.stopPartition(work, delivery.message.offset, error, attempts)
  }

  private async writeDeadLetter(
    work: PartitionWork,
    delivery: Delivery,
    error: unknown,
    attempts: number,
  ): Promise<boolean> {
    const sink = this.deadLetterSink()
    const topic = this.options.deadLetter?.topic as string
    try {
      await sink.write(deadLetterRecord(topic, delivery.message, error, attempts))
      this.logger.warn('message dead-lettered after its last try', {
        topic: work.tp.topic,
        partition: work.tp.partition,
        offset: delivery.message.offset,
        deadLetterTopic: topic,
        attempts,
        error,
      })
      return true
    } catch (writeError) {
      this.report(writeError)
      return false
    }
  }

  /** The sink given by the context (a transactional run), else one over `deadLetter.producer` or its own. */
  private deadLetterSink(): DeadLetterSink {
    if (this.sink !== undefined) return this.sink
    const given = this.options.deadLetter?.producer
    if (given !== undefined) this.sink = producerDeadLetterSink(given, false)
    else if (this.context.createProducer !== undefined) {
      this.sink = producerDeadLetterSink(this.context.createProducer(), true)
    } else {
      throw new ConfigError(
        'run.deadLetter.producer',
        'this consumer cannot create a producer of its own; give run.deadLetter.producer',
      )
    }
    return this.sink
  }

  private stopPartition(work: PartitionWork, offset: bigint, error: unknown, attempts: number): void {
    const stopped = new PartitionStoppedError(work.tp.topic, work.tp.partition, offset, attempts, error)
    work.stopped = stopped
    this.clearQueue(work)
    this.pause(work, 'stopped')
    this.stopped.push(stopped)
    this.report(stopped)
    this.options.onPartitionStopped?.(stopped)
  }

  /** The partition goes back to `offset`: drop what is queued, seek, and pause for `delayMs`. */
  private redeliver(work: PartitionWork, offset: bigint, delayMs: number): void {
    if (!work.marks.rewind(offset)) return
    this.clearQueue(work)
    work.nextOffset = offset
    work.lastSeek = ++this.seeks
    try {
      this.consumer.seek({ topic: work.tp.topic, partition: work.tp.partition, offset })
    } catch (error) {
      this.report(error)
      return
    }
    if (delayMs > 0) {
      this.pause(work, 'nack-delay')
      clearTimeout(work.nackTimer)
      work.nackTimer = setTimeout(() => {
        work.nackTimer = undefined
        this.resume(work, 'nack-delay')
        this.schedule()
      }, delayMs)
    }
  }

  private decorate(work: PartitionWork, delivery: Delivery): ProcessingMessage {
    return {
      ...delivery.message,
      ack: (options = {}) => {
        this.settle(work, delivery, 'acked')
        return options.commit === true && !this.options.commitOnAck ? this.commit() : this.commitOnAck()
      },
      nack: (options = {}) =>
        this.settle(work, delivery, 'nacked', undefined, validateDelay('nack.delayMs', options.delayMs)),
      reject: (reason?: unknown) => this.settle(work, delivery, 'rejected', reason),
    }
  }

  /** The first settlement of a delivery wins; acks and rejects mark it, a nack is applied when the handler ends. */
  private settle(
    work: PartitionWork,
    delivery: Delivery,
    state: Exclude<Settlement, 'open'>,
    reason?: unknown,
    nackDelayMs = 0,
  ): void {
    if (delivery.state !== 'open' || work.detached) return
    delivery.state = state
    if (state === 'nacked') {
      delivery.nackDelayMs = nackDelayMs
      return
    }
    if (state === 'rejected') {
      if (this.options.onRejected !== undefined) this.options.onRejected(delivery.message, reason)
      else {
        this.logger.warn('message rejected by its handler', {
          topic: work.tp.topic,
          partition: work.tp.partition,
          offset: delivery.message.offset,
          reason: describeReason(reason),
        })
      }
    }
    if (work.marks.mark(delivery.message)) this.noteMarked()
    if (state === 'acked') void this.commitOnAck()
  }

  /** `commit.onAck`: a commit at once after each ack. */
  private commitOnAck(): Promise<void> {
    return this.options.commitOnAck ? this.commit() : Promise.resolve()
  }

  // -- marks and commits --------------------------------------------------------------------------------------

  private markAsConsumed(message: ConsumerMessage): void {
    const work = this.works.get(topicPartitionKey(message?.topic, message?.partition))
    if (work === undefined || work.detached) {
      throw new CommitFailedError(
        `markAsConsumed: partition ${message?.topic}-${message?.partition} is not being processed by this ` +
          'consumer (it was revoked, or the message did not come from this run)',
        message === undefined ? [] : [{ topic: message.topic, partition: message.partition }],
      )
    }
    this.markThrough(work, message)
  }

  private markThrough(work: PartitionWork, message: ConsumerMessage): void {
    if (work.marks.markThrough(message)) this.noteMarked()
  }

  private noteMarked(): void {
    this.marksSinceCommit++
    const every = this.options.everyMessages
    if (every !== undefined && this.marksSinceCommit >= every) void this.commit()
  }

  /**
   * Commits until `offset` of `work` is committed. False when the partition was released or the run stops
   * first: its messages were then never handed to a handler, and the partition's next reader starts at them.
   */
  private async commitThrough(work: PartitionWork, offset: bigint): Promise<boolean> {
    for (;;) {
      await this.commit()
      if (work.marks.isCommitted(offset)) return true
      if (work.detached || this.stopping) return false
      await new Promise((resolve) => setTimeout(resolve, this.options.initialBackoffMs))
    }
  }

  /** Commits every owned partition's committable offset; one commit at a time, a request during one follows it. */
  private commit(): Promise<void> {
    if (this.committing !== undefined) {
      this.commitAgain = true
      return this.committing
    }
    this.committing = (async () => {
      do {
        this.commitAgain = false
        await this.commitOnce()
      } while (this.commitAgain)
    })().finally(() => {
      this.committing = undefined
    })
    return this.committing
  }

  private async commitOnce(): Promise<void> {
    const offsets: TopicPartitionOffset[] = []
    const owned = new Set(this.consumer.assignment().map((tp) => topicPartitionKey(tp.topic, tp.partition)))
    for (const work of this.works.values()) {
      const offset = work.marks.uncommitted()
      if (offset !== undefined && !work.detached && owned.has(work.key)) offsets.push({ ...offset })
    }
    if (offsets.length === 0) return
    this.marksSinceCommit = 0
    try {
      this.noteCommitted(await this.send(offsets))
    } catch (error) {
      // The marks stay; the next commit sends them again (unless their partitions are revoked meanwhile).
      this.report(error)
    }
  }

  /**
   * Commits `offsets` and returns them as sent. A broker whose `offset.metadata.max.bytes` is below the 4096
   * bytes the metadata is sized for refuses the whole commit; from then on offsets are committed without
   * their completed-beyond metadata (completions past a gap are then processed again after a restart, never
   * lost), instead of no commit ever succeeding.
   */
  private async send(offsets: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    const plain = (): TopicPartitionOffset[] => offsets.map(({ metadata: _, ...offset }) => offset)
    if (this.plainCommits) {
      const sent = plain()
      await this.commitOffsets(sent)
      return sent
    }
    try {
      await this.commitOffsets(offsets)
      return offsets
    } catch (error) {
      const tooLarge = error instanceof KafkaError && error.code === ErrorCode.OFFSET_METADATA_TOO_LARGE
      if (!tooLarge || !offsets.some((o) => o.metadata !== undefined)) throw error
      this.plainCommits = true
      this.logger.warn(
        'the broker refused the completed-offsets commit metadata as too large (its offset.metadata.max.bytes ' +
          'is below 4096); committing offsets without it from now on: messages completed out of order past ' +
          'an unfinished one will be processed again after a restart or rebalance',
        { error },
      )
      const sent = plain()
      await this.commitOffsets(sent)
      return sent
    }
  }

  /** Sends a commit: through the context's seam (a transactional run's transaction), else the consumer's. */
  private async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (this.context.commitOffsets !== undefined) await this.context.commitOffsets(offsets)
    else await this.consumer.commit(offsets)
  }

  private noteCommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const offset of offsets) {
      const key = topicPartitionKey(offset.topic, offset.partition)
      this.works.get(key)?.marks.committed(offset.offset, offset.metadata ?? null)
      const lost = this.lostUncommitted.get(key)
      if (lost !== undefined && offset.offset >= lost.offset) this.lostUncommitted.delete(key)
    }
  }

  /**
   * The last commit of a stopping run. Unlike the cadence's commits, its failure is the run's outcome: it
   * returns what could not be committed (including partitions this member no longer owns) and why.
   */
  private async finalCommit(): Promise<{ offsets: TopicPartitionOffset[]; cause: unknown } | undefined> {
    await this.committing
    const owned = new Set(this.consumer.assignment().map((tp) => topicPartitionKey(tp.topic, tp.partition)))
    const offsets: TopicPartitionOffset[] = []
    const orphaned: TopicPartitionOffset[] = []
    for (const work of this.works.values()) {
      const offset = work.marks.uncommitted()
      if (offset === undefined || work.detached) continue
      ;(owned.has(work.key) ? offsets : orphaned).push({ ...offset })
    }
    let failure: { offsets: TopicPartitionOffset[]; cause: unknown } | undefined
    if (offsets.length > 0) {
      try {
        this.noteCommitted(await this.send(offsets))
      } catch (error) {
        failure = { offsets, cause: error }
      }
    }
    const missed = [...orphaned, ...(failure?.offsets ?? []), ...this.lostUncommitted.values()]
    if (missed.length === 0) return undefined
    return {
      offsets: missed,
      cause:
        failure?.cause ?? new CommitFailedError('the partitions were no longer owned by this member', missed),
    }
  }

  // -- rebalances and shutdown ----------------------------------------------------------------------------------

  /**
   * Revoked (`commit`) or lost partitions: stop handing out their messages, wait for their handlers, commit
   * their marks if this member still owns them, and forget them.
   */
  private async release(partitions: readonly TopicPartition[], commit: boolean): Promise<void> {
    const works = partitions
      .map((tp) => this.works.get(topicPartitionKey(tp.topic, tp.partition)))
      .filter((work) => work !== undefined)
    for (const work of works) {
      this.clearQueue(work)
      work.releasing.abort()
      this.pause(work, 'revoking')
      if (!commit) work.controller.abort()
    }
    const drained = await this.drain(works, this.options.drainTimeoutMs)
    if (!drained) for (const work of works) work.controller.abort()
    if (commit) await this.commit()
    else this.noteLost(works)
    for (const work of works) this.detach(work)
  }

  /** Lost partitions: their finished-but-uncommitted records will be processed again by the next owner. */
  private noteLost(works: readonly PartitionWork[]): void {
    const offsets: TopicPartitionOffset[] = []
    for (const work of works) {
      const offset = work.marks.uncommitted()
      if (offset === undefined) continue
      this.lostUncommitted.set(work.key, { ...offset })
      offsets.push({ ...offset })
    }
    if (offsets.length > 0) this.report(new UncommittedOffsetsError('partitions lost', offsets))
  }

  private detach(work: PartitionWork): void {
    work.detached = true
    clearTimeout(work.nackTimer)
    if (this.works.get(work.key) === work) this.works.delete(work.key)
  }

  /** Waits for the handlers in progress on `works`; false when `timeoutMs` passed first. */
  private async drain(works: Iterable<PartitionWork>, timeoutMs: number): Promise<boolean> {
    const running = [...works].flatMap((w) => [...w.running, ...(w.current === undefined ? [] : [w.current])])
    if (running.length === 0) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    try {
      return await Promise.race([Promise.all(running).then(() => true), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true
    this.stoppingController.abort()
    clearInterval(this.commitTimer)
    clearInterval(this.unsettledTimer)
    process.off('SIGTERM', this.onSignal)
    process.off('SIGINT', this.onSignal)
    try {
      await this.loop
      for (const work of this.works.values()) this.clearQueue(work)
      if (!(await this.drain(this.works.values(), timeoutMs))) {
        this.logger.warn('stop: handlers still running after the timeout; aborting their signal', {
          timeoutMs,
        })
        this.stopController.abort()
        await this.drain(this.works.values(), timeoutMs)
      }
      for (const work of this.works.values()) clearTimeout(work.nackTimer)
      if (this.options.onShutdown !== undefined) {
        try {
          await this.options.onShutdown({ markAsConsumed: (message) => this.markAsConsumed(message) })
        } catch (error) {
          this.report(error)
        }
      }
      const missed = await this.finalCommit()
      if (missed !== undefined) {
        const error = new UncommittedOffsetsError('stop', missed.offsets, missed.cause)
        this.report(error)
        this.fatal ??= error
      }
    } finally {
      await this.sink?.close?.().catch((error: unknown) => this.report(error))
      await this.consumer.close().catch((error: unknown) => {
        this.report(error)
        this.fatal ??= error
      })
    }
    if (this.fatal !== undefined) this.rejectDone(this.fatal)
    else this.resolveDone()
    if (this.fatal !== undefined) throw this.fatal
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

/**
 * Runs `options.eachMessage` / `eachBatch` over `consumer` until the handle's `stop()`. With `topics`, it
 * subscribes the consumer itself (so it can drain and commit partitions before they are revoked); without,
 * it processes whatever the consumer is assigned. Resolves once processing started.
 * @throws ConfigError for bad options, or a consumer that auto-commits polled offsets.
 */
export async function runConsumer(
  consumer: Consumer,
  options: RunOptions,
  context: RunnerContext = {},
): Promise<RunHandle> {
  const guarantee = exactlyOnceGuarantee(consumer, options)
  if (guarantee !== undefined) {
    const exactlyOnce = new ExactlyOnceRunner(
      consumer,
      guarantee.options,
      guarantee.guarantee,
      context.logger,
    )
    exactlyOnce.start()
    return exactlyOnce
  }
  const runner = new MessageRunner(consumer, options, context)
  runner.start()
  return runner
}

/** The exactly-once guarantee `options` ask for (`offsetStore` or `transactional`), if any. */
function exactlyOnceGuarantee(
  consumer: Consumer,
  options: RunOptions,
): { options: ResolvedRunOptions; guarantee: ProcessingGuarantee } | undefined {
  if (typeof options !== 'object' || options === null) return undefined
  if (options.offsetStore === undefined && options.transactional === undefined) return undefined
  const resolved = resolveRunOptions(options)
  const groupId = consumer.groupMetadata().groupId
  if (resolved.offsetStore !== undefined) {
    return { options: resolved, guarantee: new OffsetStoreGuarantee(resolved.offsetStore, groupId) }
  }
  const producer = (resolved.transactional as { producer: Producer }).producer
  return { options: resolved, guarantee: new KafkaTransactionGuarantee(producer, consumer) }
}
