/**
 * Producer options: the typed, documented surface users write, and the validated, fully-defaulted form the
 * producer runs on. Defaults follow the Java client (4.x), so behaviour carries over between the two.
 */

import { ConfigError } from '../common/errors.ts'
import { booleanOption, enumOption, integerOption, rejectUnknownOptions } from '../common/validate.ts'
import { COMPRESSION_TYPES, type CompressionType } from '../protocol/compression/compression-type.ts'
import type { Acks, Partitioner } from './types.ts'

/** Options of `new Producer(cluster, options)` / `kafka.producer(options)`. */
export interface ProducerOptions {
  /**
   * How many replicas must have a batch before the broker answers: 0 (no answer at all; offsets are `-1n`),
   * 1 (the leader), `'all'` / -1 (every in-sync replica). Default `'all'`.
   */
  acks?: Acks
  /**
   * Exactly-once delivery per partition within a producer session: the broker drops retried duplicates and
   * rejects gaps using producer id, epoch and sequence numbers. Default `true`; requires `acks: 'all'` and
   * `maxInFlightRequests <= 5`. Left unset, it turns itself off when `acks` says otherwise.
   */
  idempotent?: boolean
  /** How long a batch waits for more records before it is sent, in ms. Default 5. */
  lingerMs?: number
  /** Target size of one partition's batch in bytes; a full batch is sent without waiting for `lingerMs`. Default 16384. */
  batchBytes?: number
  /** Upper bound on bytes of records waiting to be sent or acknowledged. Default 32 MiB. */
  bufferMemoryBytes?: number
  /**
   * How long `send()` may wait for buffer space or for the topic's metadata before it rejects
   * (`BufferFullError` / unknown topic). Default 60000.
   */
  maxBlockMs?: number
  /** Largest Produce request, and so the largest single record, the producer builds, in bytes. Default 1048576. */
  maxRequestBytes?: number
  /**
   * Upper bound on the time from `send()` to the record's success or failure, retries included. Must be at
   * least `lingerMs + requestTimeoutMs`. Default 120000.
   */
  deliveryTimeoutMs?: number
  /** How long to wait for one Produce response, in ms. Default 30000. */
  requestTimeoutMs?: number
  /** First delay before retrying a failed batch; doubles per attempt up to `retryBackoffMaxMs`. Default 100. */
  retryBackoffMs?: number
  /** Largest delay between retries of a batch. Default 1000. */
  retryBackoffMaxMs?: number
  /** Produce requests in flight per broker connection. Default 5 (the most idempotence allows). */
  maxInFlightRequests?: number
  /**
   * Compression applied to each batch, once, when it is sent. Default `'none'`; gzip is built in, the others
   * need a codec installed with `registerCodec()`.
   */
  compression?: CompressionType
  /** Chooses partitions for records without an explicit one; default: murmur2 of the key, sticky for null keys. */
  partitioner?: Partitioner
  /**
   * Makes the producer transactional (exactly-once across partitions and with consumer offsets): records are
   * sent only inside `beginTransaction()` ... `commitTransaction()` / `abortTransaction()`, after
   * `initTransactions()`. The id must stay the same across restarts of one logical producer: a new producer
   * with the same id fences the old one and aborts its open transaction. Implies `idempotent` and `acks: 'all'`.
   */
  transactionalId?: string
  /**
   * How long the transaction coordinator lets a transaction stay open before it aborts it, in ms. Must not
   * exceed the broker's `transaction.max.timeout.ms` (default 900000). Default 60000.
   */
  transactionTimeoutMs?: number
}

/** {@link ProducerOptions} after validation, with every default applied. */
export interface ResolvedProducerOptions {
  /** The wire value: 0, 1 or -1. */
  acks: 0 | 1 | -1
  idempotent: boolean
  lingerMs: number
  batchBytes: number
  bufferMemoryBytes: number
  maxBlockMs: number
  maxRequestBytes: number
  deliveryTimeoutMs: number
  requestTimeoutMs: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  maxInFlightRequests: number
  compression: CompressionType
  partitioner: Partitioner | undefined
  /** Null for producers that are not transactional. */
  transactionalId: string | null
  transactionTimeoutMs: number
}

const knownOptions: readonly (keyof ProducerOptions)[] = [
  'acks',
  'idempotent',
  'lingerMs',
  'batchBytes',
  'bufferMemoryBytes',
  'maxBlockMs',
  'maxRequestBytes',
  'deliveryTimeoutMs',
  'requestTimeoutMs',
  'retryBackoffMs',
  'retryBackoffMaxMs',
  'maxInFlightRequests',
  'compression',
  'partitioner',
  'transactionalId',
  'transactionTimeoutMs',
]

/** The most Produce requests in flight per partition the broker can de-duplicate (it remembers 5 batches). */
export const maxIdempotentInFlight = 5

const int32Max = 0x7fffffff

/** Validates `options` and applies defaults. Throws {@link ConfigError} naming the first bad option. */
export function resolveProducerOptions(options: ProducerOptions = {}): ResolvedProducerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('producer', 'expected an options object')
  }
  rejectUnknownOptions('producer', options, knownOptions)

  const acksInput = enumOption<Acks>('producer.acks', options.acks, [0, 1, -1, 'all'], 'all')
  const acks = acksInput === 'all' ? -1 : acksInput
  const maxInFlightRequests = integerOption(
    'producer.maxInFlightRequests',
    options.maxInFlightRequests,
    5,
    1,
    1000,
  )

  const transactionalId = resolveTransactionalId(options.transactionalId)
  let idempotent: boolean
  if (transactionalId !== null) {
    // Transactions are built on the idempotent producer's id, epoch and sequences.
    if (options.idempotent === false) {
      throw new ConfigError(
        'producer.idempotent',
        'a transactional producer (transactionalId set) is always idempotent; remove idempotent: false',
      )
    }
    if (acks !== -1) {
      throw new ConfigError(
        'producer.acks',
        `transactional producers need acks 'all', got ${String(acksInput)}`,
      )
    }
    if (maxInFlightRequests > maxIdempotentInFlight) {
      throw new ConfigError(
        'producer.maxInFlightRequests',
        `transactional producers allow at most ${maxIdempotentInFlight} requests in flight, got ${maxInFlightRequests}`,
      )
    }
    idempotent = true
  } else if (options.idempotent === undefined) {
    // As in the Java client: idempotence is the default only where it is possible, so an explicit
    // `acks: 1` quietly means "not idempotent" instead of an error the user never asked about.
    idempotent = acks === -1 && maxInFlightRequests <= maxIdempotentInFlight
  } else {
    idempotent = booleanOption('producer.idempotent', options.idempotent, true)
    if (idempotent && acks !== -1) {
      throw new ConfigError('producer.acks', `idempotent producers need acks 'all', got ${String(acksInput)}`)
    }
    if (idempotent && maxInFlightRequests > maxIdempotentInFlight) {
      throw new ConfigError(
        'producer.maxInFlightRequests',
        `idempotent producers allow at most ${maxIdempotentInFlight} requests in flight, got ${maxInFlightRequests}`,
      )
    }
  }

  const lingerMs = integerOption('producer.lingerMs', options.lingerMs, 5, 0, int32Max)
  const requestTimeoutMs = integerOption(
    'producer.requestTimeoutMs',
    options.requestTimeoutMs,
    30_000,
    1,
    int32Max,
  )
  const deliveryTimeoutMs = integerOption(
    'producer.deliveryTimeoutMs',
    options.deliveryTimeoutMs,
    Math.max(120_000, lingerMs + requestTimeoutMs),
    1,
    int32Max,
  )
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    throw new ConfigError(
      'producer.deliveryTimeoutMs',
      `must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs}), got ${deliveryTimeoutMs}`,
    )
  }

  const retryBackoffMs = integerOption('producer.retryBackoffMs', options.retryBackoffMs, 100, 0, int32Max)
  const retryBackoffMaxMs = integerOption(
    'producer.retryBackoffMaxMs',
    options.retryBackoffMaxMs,
    Math.max(1000, retryBackoffMs),
    0,
    int32Max,
  )
  if (retryBackoffMaxMs < retryBackoffMs) {
    throw new ConfigError(
      'producer.retryBackoffMaxMs',
      `must be at least retryBackoffMs (${retryBackoffMs}), got ${retryBackoffMaxMs}`,
    )
  }

  const partitioner = options.partitioner
  if (partitioner !== undefined && typeof partitioner !== 'function') {
    throw new ConfigError(
      'producer.partitioner',
      'expected a function (record, partitionCount, context) => partition',
    )
  }

  return {
    acks,
    idempotent,
    lingerMs,
    batchBytes: integerOption('producer.batchBytes', options.batchBytes, 16_384, 1, int32Max),
    bufferMemoryBytes: integerOption(
      'producer.bufferMemoryBytes',
      options.bufferMemoryBytes,
      32 * 1024 * 1024,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    maxBlockMs: integerOption('producer.maxBlockMs', options.maxBlockMs, 60_000, 0, int32Max),
    maxRequestBytes: integerOption(
      'producer.maxRequestBytes',
      options.maxRequestBytes,
      1_048_576,
      1,
      int32Max,
    ),
    deliveryTimeoutMs,
    requestTimeoutMs,
    retryBackoffMs,
    retryBackoffMaxMs,
    maxInFlightRequests,
    compression: enumOption('producer.compression', options.compression, COMPRESSION_TYPES, 'none'),
    partitioner,
    transactionalId,
    transactionTimeoutMs: integerOption(
      'producer.transactionTimeoutMs',
      options.transactionTimeoutMs,
      60_000,
      1,
      int32Max,
    ),
  }
}

function resolveTransactionalId(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0 || value.length > 0x7fff) {
    throw new ConfigError(
      'producer.transactionalId',
      `expected a non-empty string of at most 32767 characters, got ${typeof value === 'string' ? 'an empty string' : typeof value}`,
    )
  }
  return value
}
