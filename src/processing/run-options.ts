/** Options of `consumer.run()`: the public type, defaults and validation (ConfigError naming the option). */

import { ConfigError } from '../common/errors.ts'
import {
  defineOptions,
  type OptionSpec,
  type OptionsOf,
  type OptionTable,
  option,
  type ResolvedOf,
  resolveOptions,
} from '../common/option-table.ts'
import type { TopicPartition } from '../common/types.ts'
import { integerOption, validateTopicName } from '../common/validate.ts'
import type { RebalanceListener } from '../consumer/group/rebalance-listener.ts'
import type { ConsumerMessage } from '../consumer/message.ts'
import type { Producer } from '../producer/producer.ts'
import type { OffsetStore } from './offset-store.ts'
import type { NackOptions, PartitionStoppedError } from './outcomes.ts'

/**
 * When a message counts as consumed (marked, and so committed by the next commit):
 * - `after-success`: when its handler resolved. A crash re-delivers what was in progress: at-least-once.
 * - `before-processing`: before its handler runs, and committed before it runs (one commit per message, or
 *   per batch with `eachBatch`). A crash loses what was in progress, nothing is processed twice: at-most-once.
 * - `manual`: only when the handler calls `markAsConsumed(message)` or `message.ack()` (or throws AckMessage).
 */
export type AckMode = 'after-success' | 'before-processing' | 'manual'

/** A message inside `run()`: the consumed record plus its acknowledgement. The first call of the three wins. */
export interface ProcessingMessage extends ConsumerMessage {
  /**
   * Marks this message consumed (its offset + 1 becomes committable once the messages before it are done).
   * With `{ commit: true }` (or `run.commit.onAck`) a commit follows at once instead of on the cadence; the
   * promise settles when it finished (a failed commit goes to `onError`, and the cadence sends it again).
   */
  ack(options?: { commit?: boolean }): Promise<void>
  /** Do not commit; deliver this message (and the partition's later ones) again, after `delayMs` if given. */
  nack(options?: NackOptions): void
  /** Give up on this message: mark it consumed so the partition moves on; `reason` goes to `onRejected`. */
  reject(reason?: unknown): void
}

/**
 * Marks `message` and everything the partition handed out before it consumed (Karafka's semantics: "up to
 * here is done"). The committed offset becomes `message.offset + 1` at the next commit.
 */
export type MarkAsConsumed = (message: ConsumerMessage) => void

export interface EachMessagePayload {
  message: ProcessingMessage
  /** Aborted when the run stops (after `stop()`'s timeout) or the partition is revoked and draining timed out. */
  signal: AbortSignal
  markAsConsumed: MarkAsConsumed
  /**
   * Exactly-once runs only: where to write the result so it commits with the input's offset. With
   * `offsetStore`, the store's open database transaction (for the PostgreSQL store, a `pg` client inside
   * BEGIN); with `transactional`, the transactional producer, inside its open transaction.
   */
  transaction?: unknown
}

/** The messages of one partition handed to `eachBatch`, in offset order. */
export interface MessageBatch extends TopicPartition {
  messages: ProcessingMessage[]
  firstOffset: bigint
  lastOffset: bigint
}

export interface EachBatchPayload {
  batch: MessageBatch
  signal: AbortSignal
  markAsConsumed: MarkAsConsumed
  /** Exactly-once runs only: see {@link EachMessagePayload.transaction}. */
  transaction?: unknown
}

export interface ShutdownPayload {
  /** Marks a message this run handed out (and everything before it in its partition) consumed. */
  markAsConsumed: MarkAsConsumed
}

const int32Max = 0x7fffffff

/** What a handler failure leads to: `run({ retry })`, declared once (see common/option-table.ts). */
export const runRetryOptionTable = defineOptions({
  /** Tries per message, the first one included, before `onExhausted` applies. */
  attempts: option.integer({ default: 5, min: 1, max: int32Max }),
  /** Wait before the second try, in ms; doubled for each further try. */
  initialBackoffMs: option.integer({ default: 100, min: 0, max: int32Max }),
  /** Upper bound of the wait between tries, in ms; at least `initialBackoffMs`. */
  maxBackoffMs: option.integer({
    default: 30_000,
    min: 0,
    max: int32Max,
    check: (value, path, resolved) => {
      if (value < (resolved.initialBackoffMs as number)) {
        throw new ConfigError(
          path,
          `must be at least run.retry.initialBackoffMs (${resolved.initialBackoffMs}), got ${value}`,
        )
      }
    },
  }),
  /**
   * Spread of each wait, as a fraction: a wait of `d` becomes a random one in `[d × (1 − jitter), d × (1 +
   * jitter)]` (at most `maxBackoffMs`), so members that failed together do not retry in lockstep.
   */
  jitter: option.custom<number, number>({
    type: 'number',
    defaultText: '0.2',
    allowed: '0 to 1',
    resolve: (path, value) => {
      if (value === undefined) return 0.2
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new ConfigError(path, `expected a number from 0 to 1, got ${String(value)}`)
      }
      return value
    },
  }),
  /**
   * Whether a failure is worth another try; by default every failure is. A failure it calls not retriable
   * goes straight to `onExhausted` (a malformed record will not parse on the fifth try either).
   */
  retriable: option.optionalFunction<(error: unknown, message: ConsumerMessage) => boolean>(
    'a function (error, message) => boolean',
  ),
  /**
   * After the last try: `'stop-partition'` pauses the partition at the message (nothing after it is handled
   * until a restart); `'dead-letter'` writes it to `run.deadLetter.topic` and marks it consumed once the
   * write is acknowledged; `'skip'` marks it consumed (through `onRejected`) and goes on.
   */
  onExhausted: option.oneOf<OnExhausted>(['stop-partition', 'dead-letter', 'skip'], {
    default: 'stop-partition',
  }),
})

/** A message that stayed unsettled for `run.unsettledWarningMs` (see `run.onUnsettled`). */
export interface UnsettledEvent {
  topic: string
  partition: number
  /** The oldest unsettled offset of the partition. */
  offset: bigint
  /** How long it has been unsettled, in ms. */
  waitingMs: number
}

/** Which messages of one partition may be in handlers at once (see `run.ordering`). */
export type Ordering = 'partition' | 'key' | 'none'

/** What happens to a message whose handler failed on every try (see `retry.onExhausted`). */
export type OnExhausted = 'stop-partition' | 'dead-letter' | 'skip'

/** Where dead letters go: `run({ deadLetter })`, declared once. */
export const runDeadLetterOptionTable = defineOptions({
  /** The dead-letter topic (it must exist, or the broker must auto-create it). */
  topic: option.custom<string, string>({
    type: 'string',
    defaultText: 'none (required)',
    allowed: 'a topic name',
    resolve: (path, value) => validateTopicName(path, value),
  }),
  /** Sends the dead letters; by default a producer of the consumer's cluster (acks all), closed with the run. */
  producer: option.custom<Producer, Producer | undefined>({
    type: 'Producer',
    defaultText: 'a producer of its own',
    allowed: 'a Producer',
    resolve: (path, value) => {
      if (value === undefined) return undefined
      if (typeof value !== 'object' || value === null || typeof (value as Producer).send !== 'function') {
        throw new ConfigError(path, 'expected a Producer')
      }
      return value as Producer
    },
  }),
})

export type DeadLetterOptions = OptionsOf<typeof runDeadLetterOptionTable>

/** How often marked offsets are committed: `run({ commit })`, declared once. */
export const runCommitOptionTable = defineOptions({
  /** Commit after this many messages were marked. By default there are no count-based commits. */
  everyMessages: option.custom<number, number | undefined>({
    type: 'integer',
    defaultText: 'none',
    allowed: `1 to ${int32Max}`,
    resolve: (path, value) => (value === undefined ? undefined : integerOption(path, value, 1, 1, int32Max)),
  }),
  /** Commit marked offsets this often, in ms, like the Java client's auto-commit. */
  everyMs: option.integer({ default: 5000, min: 1, max: int32Max }),
  /**
   * Commit at once whenever a message is acknowledged (FastStream's ack-commits), as `ack({ commit: true })`
   * does for one call. Costs a round trip per message; the cadence still runs.
   */
  onAck: option.boolean({ default: false }),
})

export type RetryOptions = OptionsOf<typeof runRetryOptionTable>

export type CommitCadence = OptionsOf<typeof runCommitOptionTable>

/** A nested options object (`run.retry`, `run.commit`), resolved with its own table. */
function nested<T extends OptionTable>(table: T): OptionSpec<OptionsOf<T>, ResolvedOf<T>> {
  return option.custom<OptionsOf<T>, ResolvedOf<T>>({
    type: 'object',
    defaultText: 'see below',
    allowed: `{ ${Object.keys(table).join(', ')} }`,
    resolve: (path, value) => resolveOptions(table, path, optionalObject(path, value)),
  })
}

type EachMessage = (payload: EachMessagePayload) => Promise<void> | void
type EachBatch = (payload: EachBatchPayload) => Promise<void> | void

/** Options of `consumer.run()`, declared once (see common/option-table.ts). */
export const runOptionTable = defineOptions({
  /** Subscribe to these topics (or every topic matching the RegExp) and handle rebalances safely. */
  topics: option.custom<string[] | RegExp, string[] | RegExp | undefined>({
    type: 'string[] | RegExp',
    defaultText: "none (the consumer's own subscription or assignment)",
    allowed: 'an array of topic names or a RegExp',
    resolve: (path, value) => {
      if (value !== undefined && !Array.isArray(value) && !(value instanceof RegExp)) {
        throw new ConfigError(path, 'expected an array of topic names or a RegExp')
      }
      return value as string[] | RegExp | undefined
    },
  }),
  /** Called around rebalances, after the runner drained and committed revoked partitions. */
  rebalanceListener: option.custom<RebalanceListener, RebalanceListener>({
    type: 'RebalanceListener',
    defaultText: 'none',
    allowed: '{ onPartitionsAssigned?, onPartitionsRevoked?, onPartitionsLost? }',
    resolve: (path, value) => optionalObject(path, value) as RebalanceListener,
  }),
  /** When a message counts as consumed (see {@link AckMode}); the consumer's `runAck` when not given. */
  ack: option.oneOf<AckMode>(['after-success', 'before-processing', 'manual'], { default: 'after-success' }),
  /** How often marked offsets are committed; independent of `ack`. */
  commit: nested(runCommitOptionTable),
  /**
   * Partitions processed at the same time, with `ordering: 'partition'`. In an exactly-once run, one unit of
   * each of that many partitions runs at once: each in its own database transaction (`offsetStore`), or all
   * in the producer's one transaction (`transactional`), which commits or aborts them together.
   */
  partitionsConcurrency: option.integer({ default: 1, min: 1, max: 10_000 }),
  /**
   * What must not run at the same time: `'partition'` hands a partition's messages out one after another;
   * `'key'` runs messages of one partition at once unless they share a key (null keys never wait for each
   * other); `'none'` runs them at once regardless. Only the contiguous completed prefix is committed; what is
   * completed beyond it rides in the commit's metadata and is skipped after a restart or a rebalance (read
   * on assignment when `run()` subscribes, i.e. with `topics`). `'key'` and `'none'` need `eachMessage`.
   */
  ordering: option.oneOf<Ordering>(['partition', 'key', 'none'], { default: 'partition' }),
  /**
   * Messages of one partition in handlers at once, with `ordering: 'key' | 'none'`. A partition also takes
   * no more while its completed-beyond ranges, with what its handlers in progress may add, encode to 90 % of
   * the broker's default 4096-byte commit metadata (about 1,380 isolated completions with nothing in flight;
   * fewer when gaps or ranges pass 127 offsets), so whatever completes fits.
   */
  maxInFlightPerPartition: option.integer({ default: 16, min: 1, max: 10_000 }),
  /** Messages in handlers at once across all partitions, with `ordering: 'key' | 'none'`. */
  maxInFlight: option.integer({ default: 64, min: 1, max: 100_000 }),
  /**
   * Bytes (key, value, headers) of one partition's messages queued or in handlers at which fetching that
   * partition pauses; it resumes below half. Other partitions keep flowing.
   */
  maxBufferedBytesPerPartition: option.integer({ default: 8 * 1024 * 1024, min: 1, max: int32Max }),
  /**
   * Bytes of all messages queued or in handlers at which fetching pauses for every partition; it resumes
   * below half. With the consumer's own read-ahead (`maxBufferedBytes` of the consumer), this bounds what a
   * slow handler over any backlog holds in memory.
   */
  maxBufferedBytes: option.integer({ default: 64 * 1024 * 1024, min: 1, max: int32Max }),
  /** What a handler failure (any exception but AckMessage/NackMessage/RejectMessage) leads to. */
  retry: nested(runRetryOptionTable),
  /** Where `retry.onExhausted: 'dead-letter'` writes messages whose handler failed on every try. */
  deadLetter: option.custom<DeadLetterOptions, ResolvedOf<typeof runDeadLetterOptionTable> | undefined>({
    type: 'object',
    defaultText: 'none',
    allowed: `{ ${Object.keys(runDeadLetterOptionTable).join(', ')} }`,
    resolve: (path, value) =>
      value === undefined
        ? undefined
        : resolveOptions(runDeadLetterOptionTable, path, optionalObject(path, value)),
  }),
  /** Handles one message; give exactly one of `eachMessage` and `eachBatch`. */
  eachMessage: option.optionalFunction<EachMessage>(),
  /** Handles the fetched messages of one partition at a time; give exactly one of `eachMessage` and `eachBatch`. */
  eachBatch: option.custom<EachBatch, EachBatch | undefined>({
    type: 'function',
    defaultText: 'none',
    allowed: 'a function; exactly one of eachMessage and eachBatch',
    resolve: (path, value, resolved) => {
      const eachBatch = option.optionalFunction<EachBatch>().resolve(path, value, resolved)
      if ((resolved.eachMessage === undefined) === (eachBatch === undefined)) {
        throw new ConfigError(
          resolved.eachMessage === undefined ? path.replace(/eachBatch$/, 'eachMessage') : path,
          'give exactly one of eachMessage and eachBatch',
        )
      }
      return eachBatch
    },
  }),
  /** Called once by `stop()` after in-flight handlers finished, before the final commit. */
  onShutdown: option.optionalFunction<(payload: ShutdownPayload) => Promise<void> | void>(),
  /** A message was rejected (RejectMessage or `message.reject()`); by default a warning is logged. */
  onRejected: option.optionalFunction<(message: ConsumerMessage, reason: unknown) => void>(),
  /** Errors that do not end the run: failed commits, stopped partitions, handler errors in at-most-once mode. */
  onError: option.optionalFunction<(error: unknown) => void>(),
  /** Called when a partition stops after exhausting `retry.attempts` (after `onError`). */
  onPartitionStopped: option.optionalFunction<(error: PartitionStoppedError) => void>(),
  /**
   * A partition whose oldest unsettled message (given to a handler, not acknowledged; messages still queued
   * for a handler do not count) waits this long, in ms, logs a warning naming it and calls `onUnsettled`, once
   * per message; with `ack: 'manual'` that is a handler that forgot to ack. 0 turns the check off.
   */
  unsettledWarningMs: option.integer({ default: 60_000, min: 0, max: int32Max }),
  /** Called when a message stayed unsettled for `unsettledWarningMs` (after the warning is logged). */
  onUnsettled: option.optionalFunction<(event: UnsettledEvent) => void>(),
  /** Longest to wait for in-flight handlers of revoked partitions, and `stop()`'s default, in ms. */
  drainTimeoutMs: option.integer({ default: 30_000, min: 0, max: int32Max }),
  /** Stop gracefully on SIGTERM and SIGINT. */
  handleSignals: option.boolean({ default: false }),
  /**
   * Exactly-once into a database: offsets live in this store and are saved in the same database
   * transaction as the handler's writes (the handler gets it as `transaction`). On assignment the run claims
   * each partition (fencing a zombie by epoch) and seeks to the stored offset. See docs/postgres-offset-store.md.
   */
  offsetStore: option.custom<OffsetStore, OffsetStore | undefined>({
    type: 'OffsetStore',
    defaultText: 'none',
    allowed: 'an OffsetStore (claim, load, begin, save, commit, rollback), e.g. samsa/postgres',
    resolve: (path, value) => {
      if (value === undefined) return undefined
      const store = value as Partial<OffsetStore>
      for (const method of ['claim', 'load', 'begin', 'save', 'commit', 'rollback'] as const) {
        if (typeof store[method] !== 'function')
          throw new ConfigError(path, `expected an OffsetStore (${method}() missing)`)
      }
      return value as OffsetStore
    },
  }),
  /**
   * Exactly-once consume-transform-produce: each unit's output records (sent with the `transaction`
   * producer the handler gets) and its input offsets commit in one Kafka transaction of `producer`, which
   * needs a `transactionalId`. A failed unit is aborted and processed again from the committed offsets.
   */
  transactional: option.custom<{ producer: Producer }, { producer: Producer } | undefined>({
    type: '{ producer: Producer }',
    defaultText: 'none',
    allowed: '{ producer } with a transactional producer',
    resolve: (path, value, resolved) => {
      if (value === undefined) return undefined
      const producer = (value as { producer?: Producer } | null)?.producer
      if (typeof producer !== 'object' || producer === null || producer.transactionState === null) {
        throw new ConfigError(`${path}.producer`, 'expected a producer created with a transactionalId')
      }
      if (resolved.offsetStore !== undefined) {
        throw new ConfigError(path, 'give one of offsetStore and transactional')
      }
      return { producer }
    },
  }),
})

export type RunOptions = OptionsOf<typeof runOptionTable>

export interface ResolvedRunOptions {
  topics: string[] | RegExp | undefined
  rebalanceListener: RebalanceListener
  ack: AckMode
  everyMessages: number | undefined
  everyMs: number
  commitOnAck: boolean
  unsettledWarningMs: number
  onUnsettled: ((event: UnsettledEvent) => void) | undefined
  partitionsConcurrency: number
  ordering: Ordering
  maxInFlightPerPartition: number
  maxInFlight: number
  maxBufferedBytesPerPartition: number
  maxBufferedBytes: number
  attempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  jitter: number
  retriable: ((error: unknown, message: ConsumerMessage) => boolean) | undefined
  onExhausted: OnExhausted
  deadLetter: { topic: string; producer: Producer | undefined } | undefined
  handler:
    | { kind: 'message'; eachMessage: (payload: EachMessagePayload) => Promise<void> | void }
    | { kind: 'batch'; eachBatch: (payload: EachBatchPayload) => Promise<void> | void }
  onShutdown: ((payload: ShutdownPayload) => Promise<void> | void) | undefined
  onRejected: ((message: ConsumerMessage, reason: unknown) => void) | undefined
  onError: ((error: unknown) => void) | undefined
  onPartitionStopped: ((error: PartitionStoppedError) => void) | undefined
  drainTimeoutMs: number
  handleSignals: boolean
  offsetStore: OffsetStore | undefined
  transactional: { producer: Producer } | undefined
}

export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('run', 'expected an options object with eachMessage or eachBatch')
  }
  const resolved = resolveOptions(runOptionTable, 'run', options)
  const { commit, retry, eachMessage, eachBatch, ...rest } = resolved
  if (resolved.ordering !== 'partition' && eachMessage === undefined) {
    throw new ConfigError(
      'run.ordering',
      `'${resolved.ordering}' runs single messages at once; it needs eachMessage`,
    )
  }
  if (retry.onExhausted === 'dead-letter' && resolved.deadLetter === undefined) {
    throw new ConfigError('run.retry.onExhausted', "'dead-letter' needs run.deadLetter: { topic }")
  }
  return {
    ...rest,
    everyMessages: commit.everyMessages,
    everyMs: commit.everyMs,
    commitOnAck: commit.onAck,
    attempts: retry.attempts,
    initialBackoffMs: retry.initialBackoffMs,
    maxBackoffMs: retry.maxBackoffMs,
    jitter: retry.jitter,
    retriable: retry.retriable,
    onExhausted: retry.onExhausted,
    handler:
      eachMessage !== undefined
        ? { kind: 'message', eachMessage }
        : { kind: 'batch', eachBatch: eachBatch as EachBatch },
  }
}

function optionalObject(option: string, value: unknown): object {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(option, 'expected an object')
  }
  return value
}
