/**
 * The error hierarchy every layer throws. One base class, {@link KafkaError}, carries what callers branch on
 * (`code`, `retriable`) and what they log (`broker`, `topic`, `partition`); subclasses exist only where users
 * are expected to catch that case specifically.
 *
 * Numeric codes at or above zero are Kafka's own protocol error codes; samsa's client-side failures use
 * negative codes from {@link ClientErrorCode} so they never collide with a broker code.
 */

import type { TopicPartition, TopicPartitionOffset } from './types.ts'

/** Client-side error codes. Kafka's broker codes are >= -1; ours start well below to stay distinct. */
export const ClientErrorCode = {
  config: -1001,
  connection: -1002,
  timeout: -1003,
  corruptRecord: -1004,
  codecUnavailable: -1005,
  unsupportedVersion: -1006,
  closed: -1007,
  commitFailed: -1008,
  dataLoss: -1009,
  protocolDecode: -1010,
  bufferFull: -1011,
  authentication: -1012,
  state: -1013,
  wakeup: -1014,
  transactionOutcomeUnknown: -1015,
  offsetStoreFenced: -1016,
} as const

/** Where an error happened, as far as the thrower knows. */
export interface KafkaErrorContext {
  /** `host:port` of the broker involved. */
  broker?: string
  topic?: string
  partition?: number
  /** Whether retrying the same operation may succeed; defaults to the code's own retriability. */
  retriable?: boolean
  cause?: unknown
}

/** Base of every error samsa throws on purpose. */
export class KafkaError extends Error {
  override name = 'KafkaError'
  /** Kafka's numeric error code (>= -1) or a samsa {@link ClientErrorCode} (< -1000). */
  readonly code: number
  /** True when the same operation may succeed if tried again. */
  readonly retriable: boolean
  readonly broker: string | undefined
  readonly topic: string | undefined
  readonly partition: number | undefined

  constructor(message: string, code: number, context: KafkaErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause })
    this.code = code
    this.retriable = context.retriable ?? false
    this.broker = context.broker
    this.topic = context.topic
    this.partition = context.partition
  }
}

/** An option had a value that is not allowed. Thrown synchronously by factories and methods. */
export class ConfigError extends KafkaError {
  override name = 'ConfigError'
  /** The option's path, e.g. `producer.lingerMs`. */
  readonly option: string

  constructor(option: string, message: string) {
    super(`Invalid option ${option}: ${message}`, ClientErrorCode.config)
    this.option = option
  }
}

/** A TCP connection could not be opened, or broke while requests were in flight. */
export class ConnectionError extends KafkaError {
  override name = 'ConnectionError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.connection, { retriable: true, ...context })
  }
}

/** A request got no answer within its timeout. */
export class TimeoutError extends KafkaError {
  override name = 'TimeoutError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.timeout, { retriable: true, ...context })
  }
}

/** The client (or the producer / consumer) was closed while the operation was pending. */
export class ClosedError extends KafkaError {
  override name = 'ClosedError'
  constructor(message: string) {
    super(message, ClientErrorCode.closed)
  }
}

/** An operation was called in a state that does not allow it (e.g. `position()` of an unassigned partition). */
export class IllegalStateError extends KafkaError {
  override name = 'IllegalStateError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.state, context)
  }
}

/** Bytes from the network did not decode as the protocol says they must. */
export class ProtocolDecodeError extends KafkaError {
  override name = 'ProtocolDecodeError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.protocolDecode, context)
  }
}

/** A record batch failed its CRC check, was truncated inside, or used a format samsa rejects. */
export class CorruptRecordError extends KafkaError {
  override name = 'CorruptRecordError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.corruptRecord, context)
  }
}

/** A compression codec is not available in this build or process. */
export class CodecUnavailableError extends KafkaError {
  override name = 'CodecUnavailableError'
  readonly codec: string
  constructor(codec: string, message: string) {
    super(message, ClientErrorCode.codecUnavailable)
    this.codec = codec
  }
}

/** The broker does not support a version of an API that this operation needs. */
export class UnsupportedVersionError extends KafkaError {
  override name = 'UnsupportedVersionError'
  readonly apiName: string
  constructor(message: string, apiName: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.unsupportedVersion, context)
    this.apiName = apiName
  }
}

/** The producer's bounded buffer stayed full for longer than the configured wait. */
export class BufferFullError extends KafkaError {
  override name = 'BufferFullError'
  constructor(message: string) {
    super(message, ClientErrorCode.bufferFull, { retriable: true })
  }
}

/** Authentication failed (bad credentials, unknown user, TLS trust or hostname problems). Never retried. */
export class AuthenticationError extends KafkaError {
  override name = 'AuthenticationError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.authentication, { ...context, retriable: false })
  }
}

/**
 * An error code returned by a broker. `errorName` is Kafka's own constant name
 * (e.g. `NOT_LEADER_OR_FOLLOWER`), so logs can be matched with broker logs.
 */
export class BrokerError extends KafkaError {
  override name = 'BrokerError'
  readonly errorName: string
  constructor(message: string, code: number, errorName: string, context: KafkaErrorContext = {}) {
    super(message, code, context)
    this.errorName = errorName
  }
}

/** A fetch position fell outside the log, and `autoOffsetReset` is `none`. */
export class OffsetOutOfRangeError extends BrokerError {
  override name = 'OffsetOutOfRangeError'
  readonly offset: bigint | undefined
  constructor(message: string, context: KafkaErrorContext & { offset?: bigint } = {}) {
    super(message, 1, 'OFFSET_OUT_OF_RANGE', { ...context, retriable: false })
    this.offset = context.offset
  }
}

/** The group is rebalancing; a commit made now would be rejected. Poll again and retry. */
export class RebalanceInProgressError extends BrokerError {
  override name = 'RebalanceInProgressError'
  readonly partitions: TopicPartition[]
  constructor(message: string, partitions: TopicPartition[] = [], context: KafkaErrorContext = {}) {
    super(message, 27, 'REBALANCE_IN_PROGRESS', { ...context, retriable: false })
    this.partitions = partitions
  }
}

/** A commit was rejected because this member no longer owns the partitions (stale generation or epoch). */
export class CommitFailedError extends KafkaError {
  override name = 'CommitFailedError'
  readonly partitions: TopicPartition[]
  constructor(message: string, partitions: TopicPartition[], context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.commitFailed, context)
    this.partitions = partitions
  }
}

/**
 * A consumer stopped (or lost partitions) with finished records whose offsets never reached the group: the
 * final commit failed (membership lost, fenced, coordinator unreachable), or the partitions were lost before
 * it. Nothing is lost, since the next owner reads those records again from the last committed offset, but
 * they will be processed twice. `offsets` are the offsets that could not be committed (the next offset to
 * read, as a commit would have carried them).
 */
export class UncommittedOffsetsError extends CommitFailedError {
  override name = 'UncommittedOffsetsError'
  readonly offsets: TopicPartitionOffset[]
  constructor(operation: string, offsets: TopicPartitionOffset[], cause?: unknown) {
    const listed = offsets.map((o) => `${o.topic}-${o.partition} at ${o.offset}`).join(', ')
    super(
      `${operation}: offsets of finished records were left uncommitted (${listed}); the group will deliver ` +
        'the records from the last committed offsets again' +
        (cause instanceof Error ? ` (${cause.name}: ${cause.message})` : ''),
      offsets.map(({ topic, partition }) => ({ topic, partition })),
      { cause },
    )
    this.offsets = offsets
  }
}

/**
 * A `poll()`, an iterator's `next()` or `consume()` was interrupted by `consumer.wakeup()` or by the
 * `AbortSignal` passed to it: the Java client's way out of a blocked poll loop, so a shutdown written as
 * `try { for (;;) poll() } catch (WakeupError) {} finally { commit(); close() }` works as in the book.
 */
export class WakeupError extends KafkaError {
  override name = 'WakeupError'
  constructor(message = 'the consumer was woken up (wakeup() or an aborted signal) while reading') {
    super(message, ClientErrorCode.wakeup)
  }
}

/** The log was truncated below the consumer's position after a leader change. */
export class DataLossError extends KafkaError {
  override name = 'DataLossError'
  readonly consumedOffset: bigint
  readonly resetOffset: bigint
  constructor(message: string, context: KafkaErrorContext & { consumedOffset: bigint; resetOffset: bigint }) {
    super(message, ClientErrorCode.dataLoss, context)
    this.consumedOffset = context.consumedOffset
    this.resetOffset = context.resetOffset
  }
}

/** Another producer with the same transactional id (or a newer epoch) took over. Close this producer. */
export class ProducerFencedError extends BrokerError {
  override name = 'ProducerFencedError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, 90, 'PRODUCER_FENCED', { ...context, retriable: false })
  }
}

/** The current transaction can only be aborted; after aborting, a new one may begin. */
export class TransactionAbortableError extends BrokerError {
  override name = 'TransactionAbortableError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, 120, 'TRANSACTION_ABORTABLE', { ...context, retriable: false })
  }
}

/**
 * Whether the transaction committed is unknown: its EndTxn timed out (or its connection broke) with the
 * request possibly delivered, or a record's produce outcome inside it is unknown. The transaction may or
 * may not have committed, so retrying the commit could tear it or commit twice. Call
 * `abortTransaction()`: the producer re-initialises (a new epoch, which makes the coordinator finish or
 * abort whatever was open), then re-read your input from the last committed offsets; those tell which way
 * it went.
 */
export class TransactionOutcomeUnknownError extends KafkaError {
  override name = 'TransactionOutcomeUnknownError'
  constructor(message: string, context: KafkaErrorContext = {}) {
    super(message, ClientErrorCode.transactionOutcomeUnknown, { ...context, retriable: false })
  }
}

/** True when `error` is a {@link KafkaError} marked retriable. */
export function isRetriable(error: unknown): boolean {
  return error instanceof KafkaError && error.retriable
}
