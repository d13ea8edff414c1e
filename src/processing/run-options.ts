/** Options of `consumer.run()`: the public type, defaults and validation (ConfigError naming the option). */

import { ConfigError } from '../common/errors.ts'
import type { TopicPartition } from '../common/types.ts'
import { booleanOption, enumOption, integerOption, rejectUnknownOptions } from '../common/validate.ts'
import type { RebalanceListener } from '../consumer/group/rebalance-listener.ts'
import type { ConsumerMessage } from '../consumer/message.ts'
import type { NackOptions, PartitionStoppedError } from './outcomes.ts'

/**
 * When a message counts as consumed (marked, and so committed by the next commit):
 * - `after-success`: when its handler resolved. A crash re-delivers what was in progress: at-least-once.
 * - `before-processing`: before its handler runs. A crash loses what was in progress, nothing is processed
 *   twice: at-most-once.
 * - `manual`: only when the handler calls `markAsConsumed(message)` or `message.ack()` (or throws AckMessage).
 */
export type AckMode = 'after-success' | 'before-processing' | 'manual'

/** A message inside `run()`: the consumed record plus its acknowledgement. The first call of the three wins. */
export interface ProcessingMessage extends ConsumerMessage {
  /** Marks this message consumed (its offset + 1 becomes committable once the messages before it are done). */
  ack(): void
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
}

export interface ShutdownPayload {
  /** Marks a message this run handed out (and everything before it in its partition) consumed. */
  markAsConsumed: MarkAsConsumed
}

export interface RetryOptions {
  /** Tries per message, the first one included, before the partition stops. Default 5. */
  attempts?: number
  /** Wait before the second try; doubled for each further try. Default 100. */
  initialBackoffMs?: number
  /** Upper bound of the wait between tries. Default 30000. */
  maxBackoffMs?: number
}

export interface CommitCadence {
  /** Commit after this many messages were marked. Default: no count-based commits. */
  everyMessages?: number
  /** Commit marked offsets this often. Default 5000, like the Java client's auto-commit. */
  everyMs?: number
}

export interface RunOptions {
  /** Subscribe to these topics (or every topic matching the RegExp) and handle rebalances safely. */
  topics?: string[] | RegExp
  /** Called around rebalances, after the runner drained and committed revoked partitions. */
  rebalanceListener?: RebalanceListener
  /** When a message counts as consumed. Default `after-success`. */
  ack?: AckMode
  /** How often marked offsets are committed; independent of `ack`. */
  commit?: CommitCadence
  /** Partitions processed at the same time; messages of one partition are always processed in order. Default 1. */
  partitionsConcurrency?: number
  /** What a handler failure (any exception but AckMessage/NackMessage/RejectMessage) leads to. */
  retry?: RetryOptions
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void
  /** Called once by `stop()` after in-flight handlers finished, before the final commit. */
  onShutdown?: (payload: ShutdownPayload) => Promise<void> | void
  /** A message was rejected (RejectMessage or `message.reject()`); the default logs a warning. */
  onRejected?: (message: ConsumerMessage, reason: unknown) => void
  /** Errors that do not end the run: failed commits, stopped partitions, handler errors in at-most-once mode. */
  onError?: (error: unknown) => void
  /** Called when a partition stops after exhausting `retry.attempts` (after `onError`). */
  onPartitionStopped?: (error: PartitionStoppedError) => void
  /** Longest to wait for in-flight handlers of revoked partitions, and `stop()`'s default. Default 30000. */
  drainTimeoutMs?: number
  /** Stop gracefully on SIGTERM and SIGINT. Default false. */
  handleSignals?: boolean
}

export interface ResolvedRunOptions {
  topics: string[] | RegExp | undefined
  rebalanceListener: RebalanceListener
  ack: AckMode
  everyMessages: number | undefined
  everyMs: number
  partitionsConcurrency: number
  attempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  handler:
    | { kind: 'message'; eachMessage: (payload: EachMessagePayload) => Promise<void> | void }
    | { kind: 'batch'; eachBatch: (payload: EachBatchPayload) => Promise<void> | void }
  onShutdown: ((payload: ShutdownPayload) => Promise<void> | void) | undefined
  onRejected: ((message: ConsumerMessage, reason: unknown) => void) | undefined
  onError: ((error: unknown) => void) | undefined
  onPartitionStopped: ((error: PartitionStoppedError) => void) | undefined
  drainTimeoutMs: number
  handleSignals: boolean
}

const runOptionNames = [
  'topics',
  'rebalanceListener',
  'ack',
  'commit',
  'partitionsConcurrency',
  'retry',
  'eachMessage',
  'eachBatch',
  'onShutdown',
  'onRejected',
  'onError',
  'onPartitionStopped',
  'drainTimeoutMs',
  'handleSignals',
] as const

const int32Max = 0x7fffffff

export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('run', 'expected an options object with eachMessage or eachBatch')
  }
  rejectUnknownOptions('run', options, runOptionNames)
  const eachMessage = optionalFunction('run.eachMessage', options.eachMessage)
  const eachBatch = optionalFunction('run.eachBatch', options.eachBatch)
  if ((eachMessage === undefined) === (eachBatch === undefined)) {
    throw new ConfigError(
      eachMessage === undefined ? 'run.eachMessage' : 'run.eachBatch',
      'give exactly one of eachMessage and eachBatch',
    )
  }
  const commit = optionalObject('run.commit', options.commit) as CommitCadence
  rejectUnknownOptions('run.commit', commit, ['everyMessages', 'everyMs'])
  const retry = optionalObject('run.retry', options.retry) as RetryOptions
  rejectUnknownOptions('run.retry', retry, ['attempts', 'initialBackoffMs', 'maxBackoffMs'])
  const initialBackoffMs = integerOption(
    'run.retry.initialBackoffMs',
    retry.initialBackoffMs,
    100,
    0,
    int32Max,
  )
  const maxBackoffMs = integerOption('run.retry.maxBackoffMs', retry.maxBackoffMs, 30_000, 0, int32Max)
  if (maxBackoffMs < initialBackoffMs) {
    throw new ConfigError(
      'run.retry.maxBackoffMs',
      `must be at least run.retry.initialBackoffMs (${initialBackoffMs}), got ${maxBackoffMs}`,
    )
  }
  const topics = options.topics
  if (topics !== undefined && !Array.isArray(topics) && !(topics instanceof RegExp)) {
    throw new ConfigError('run.topics', 'expected an array of topic names or a RegExp')
  }
  const listener = optionalObject('run.rebalanceListener', options.rebalanceListener) as RebalanceListener
  return {
    topics,
    rebalanceListener: listener,
    ack: enumOption(
      'run.ack',
      options.ack,
      ['after-success', 'before-processing', 'manual'] as const,
      'after-success',
    ),
    everyMessages:
      commit.everyMessages === undefined
        ? undefined
        : integerOption('run.commit.everyMessages', commit.everyMessages, 1, 1, int32Max),
    everyMs: integerOption('run.commit.everyMs', commit.everyMs, 5000, 1, int32Max),
    partitionsConcurrency: integerOption(
      'run.partitionsConcurrency',
      options.partitionsConcurrency,
      1,
      1,
      10_000,
    ),
    attempts: integerOption('run.retry.attempts', retry.attempts, 5, 1, int32Max),
    initialBackoffMs,
    maxBackoffMs,
    handler:
      eachMessage !== undefined
        ? { kind: 'message', eachMessage: eachMessage as ResolvedEachMessage }
        : { kind: 'batch', eachBatch: eachBatch as ResolvedEachBatch },
    onShutdown: optionalFunction('run.onShutdown', options.onShutdown) as ResolvedRunOptions['onShutdown'],
    onRejected: optionalFunction('run.onRejected', options.onRejected) as ResolvedRunOptions['onRejected'],
    onError: optionalFunction('run.onError', options.onError) as ResolvedRunOptions['onError'],
    onPartitionStopped: optionalFunction(
      'run.onPartitionStopped',
      options.onPartitionStopped,
    ) as ResolvedRunOptions['onPartitionStopped'],
    drainTimeoutMs: integerOption('run.drainTimeoutMs', options.drainTimeoutMs, 30_000, 0, int32Max),
    handleSignals: booleanOption('run.handleSignals', options.handleSignals, false),
  }
}

type ResolvedEachMessage = (payload: EachMessagePayload) => Promise<void> | void
type ResolvedEachBatch = (payload: EachBatchPayload) => Promise<void> | void

function optionalFunction(option: string, value: unknown): ((...args: never[]) => unknown) | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new ConfigError(option, `expected a function, got ${typeof value}`)
  return value as (...args: never[]) => unknown
}

function optionalObject(option: string, value: unknown): object {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(option, 'expected an object')
  }
  return value
}
