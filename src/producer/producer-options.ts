/**
 * Producer options: the typed, documented surface users write, and the validated, fully-defaulted form the
 * producer runs on. Defaults follow the Java client (4.x), so behaviour carries over between the two.
 */

import { ConfigError } from '../common/errors.ts'
import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  type ResolvedSoFar,
  resolveDeclared,
} from '../common/option-table.ts'
import { booleanOption, enumOption, rejectUnknownOptions } from '../common/validate.ts'
import { COMPRESSION_TYPES } from '../protocol/compression/compression-type.ts'
import type { Acks, Partitioner } from './types.ts'

/** The most Produce requests in flight per partition the broker can de-duplicate (it remembers 5 batches). */
export const maxIdempotentInFlight = 5

/** Where the client-wide options reach the producer's: the defaults the producer inherits from them. */
export interface ProducerDefaults {
  /** The client-wide `requestTimeoutMs`, the default of the producer's. */
  requestTimeoutMs?: number
}

/**
 * Options of `new Producer(cluster, options)` / `kafka.producer(options)`, declared once: type, default,
 * validation and docs (see common/option-table.ts). Defaults follow the Java client (4.x).
 */
export const producerOptionTable = defineOptions({
  /**
   * How many replicas must have a batch before the broker answers: 0 (no answer at all; offsets are `-1n`),
   * 1 (the leader), `'all'` / -1 (every in-sync replica).
   */
  acks: option.custom<Acks, 0 | 1 | -1>({
    type: "0 | 1 | -1 | 'all'",
    defaultText: "'all'",
    allowed: "0, 1, -1, 'all'",
    resolve: (path, value) => {
      const acks = enumOption<Acks>(path, value, [0, 1, -1, 'all'], 'all')
      return acks === 'all' ? -1 : acks
    },
  }),
  /**
   * Produce requests the producer keeps outstanding per broker (the client-wide `maxInFlightRequests` bounds
   * every request on a connection as well). At most 5 for an idempotent or transactional producer.
   */
  maxInFlightRequests: option.integer({ default: 5, min: 1, max: 1000 }),
  /**
   * Makes the producer transactional (exactly-once across partitions and with consumer offsets): records are
   * sent only inside `beginTransaction()` ... `commitTransaction()` / `abortTransaction()`, after
   * `initTransactions()`. The id must stay the same across restarts of one logical producer: a new producer
   * with the same id fences the old one and aborts its open transaction. Implies `idempotent` and `acks: 'all'`.
   */
  transactionalId: option.custom<string, string | null>({
    type: 'string',
    defaultText: 'none (not transactional)',
    allowed: 'a non-empty string of at most 32767 characters',
    resolve: (path, value, resolved) => {
      const id = resolveTransactionalId(path, value)
      if (id === null) return null
      const scope = path.slice(0, path.lastIndexOf('.') + 1)
      if (resolved.acks !== -1) {
        throw new ConfigError(
          `${scope}acks`,
          `transactional producers need acks 'all', got ${acksText(resolved)}`,
        )
      }
      if ((resolved.maxInFlightRequests as number) > maxIdempotentInFlight) {
        throw new ConfigError(
          `${scope}maxInFlightRequests`,
          `transactional producers allow at most ${maxIdempotentInFlight} requests in flight, got ${resolved.maxInFlightRequests}`,
        )
      }
      return id
    },
  }),
  /**
   * Exactly-once delivery per partition within a producer session: the broker drops retried duplicates and
   * rejects gaps using producer id, epoch and sequence numbers. Requires `acks: 'all'` and
   * `maxInFlightRequests <= 5`; left unset, it turns itself off when `acks` says otherwise.
   */
  idempotent: option.custom<boolean, boolean>({
    type: 'boolean',
    defaultText: "true when acks is 'all' and maxInFlightRequests <= 5",
    allowed: 'true, false (true for a transactional producer)',
    resolve: (path, value, resolved) => resolveIdempotent(path, value, resolved),
  }),
  /** How long a batch waits for more records before it is sent, in ms. */
  lingerMs: option.integer({ default: 5, min: 0 }),
  /** Target size of one partition's batch in bytes; a full batch is sent without waiting for `lingerMs`. */
  batchBytes: option.integer({ default: 16_384, min: 1 }),
  /** Upper bound on bytes of records waiting to be sent or acknowledged. */
  bufferMemoryBytes: option.integer({
    default: 32 * 1024 * 1024,
    defaultText: '33554432 (32 MiB)',
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  }),
  /**
   * How long `send()` may wait for buffer space or for the topic's metadata before it rejects
   * (`BufferFullError` / unknown topic).
   */
  maxBlockMs: option.integer({ default: 60_000, min: 0 }),
  /** Largest Produce request, and so the largest single record, the producer builds, in bytes. */
  maxRequestBytes: option.integer({ default: 1_048_576, min: 1 }),
  /** How long to wait for one Produce response, in ms. Defaults to the client-wide `requestTimeoutMs`. */
  requestTimeoutMs: option.integer({
    default: (resolved) => (resolved.clientRequestTimeoutMs as number | undefined) ?? 30_000,
    defaultText: 'the client-wide requestTimeoutMs (30000)',
    min: 1,
  }),
  /**
   * Upper bound on the time from `send()` to the record's success or failure, retries included. Must be at
   * least `lingerMs + requestTimeoutMs`.
   */
  deliveryTimeoutMs: option.integer({
    default: (r) => Math.max(120_000, (r.lingerMs as number) + (r.requestTimeoutMs as number)),
    defaultText: 'max(120000, lingerMs + requestTimeoutMs)',
    min: 1,
    check: (value, path, r) => {
      const floor = (r.lingerMs as number) + (r.requestTimeoutMs as number)
      if (value < floor) {
        throw new ConfigError(path, `must be at least lingerMs + requestTimeoutMs (${floor}), got ${value}`)
      }
    },
  }),
  /** First delay before retrying a failed batch; doubles per attempt up to `retryBackoffMaxMs`. */
  retryBackoffMs: option.integer({ default: 100, min: 0 }),
  /** Largest delay between retries of a batch; at least `retryBackoffMs`. */
  retryBackoffMaxMs: option.integer({
    default: (r) => Math.max(1000, r.retryBackoffMs as number),
    defaultText: 'max(1000, retryBackoffMs)',
    min: 0,
    check: (value, path, r) => {
      if (value < (r.retryBackoffMs as number)) {
        throw new ConfigError(path, `must be at least retryBackoffMs (${r.retryBackoffMs}), got ${value}`)
      }
    },
  }),
  /**
   * Compression applied to each batch, once, when it is sent. All four codecs are built in, with no native
   * dependency (zstd through `node:zlib`); `registerCodec()` can replace one.
   */
  compression: option.oneOf(COMPRESSION_TYPES, { default: 'none' }),
  /** Chooses partitions for records without an explicit one; by default murmur2 of the key, sticky for null keys. */
  partitioner: option.custom<Partitioner, Partitioner | undefined>({
    type: 'function',
    defaultText: 'murmur2 of the key (sticky for null keys)',
    allowed: 'a function (record, partitionCount, context) => partition',
    resolve: (path, value) => {
      if (value !== undefined && typeof value !== 'function') {
        throw new ConfigError(path, 'expected a function (record, partitionCount, context) => partition')
      }
      return value as Partitioner | undefined
    },
  }),
  /**
   * How long the transaction coordinator lets a transaction stay open before it aborts it, in ms. Must not
   * exceed the broker's `transaction.max.timeout.ms` (default 900000).
   */
  transactionTimeoutMs: option.integer({ default: 60_000, min: 1 }),
})

/** Options of `new Producer(cluster, options)` / `kafka.producer(options)`. */
export type ProducerOptions = OptionsOf<typeof producerOptionTable>

/** {@link ProducerOptions} after validation, with every default applied. */
export type ResolvedProducerOptions = ResolvedOf<typeof producerOptionTable>

function acksText(resolved: ResolvedSoFar): string {
  return resolved.acksGiven === 'all' ? 'all' : String(resolved.acksGiven ?? resolved.acks)
}

/**
 * Validates `options` and applies defaults. Throws {@link ConfigError} naming the first bad option.
 * `defaults` carries what the client-wide options set for the producer (its `requestTimeoutMs`).
 */
export function resolveProducerOptions(
  options: ProducerOptions = {},
  defaults: ProducerDefaults = {},
): ResolvedProducerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('producer', 'expected an options object')
  }
  rejectUnknownOptions('producer', options, Object.keys(producerOptionTable))
  // The client-wide values and the acks as written ride along for the defaults and messages that need them.
  const context = { clientRequestTimeoutMs: defaults.requestTimeoutMs, acksGiven: options.acks }
  const resolved = resolveDeclared(producerOptionTable, 'producer', options, context)
  return resolved
}

function resolveIdempotent(path: string, value: unknown, resolved: ResolvedSoFar): boolean {
  const scope = path.slice(0, path.lastIndexOf('.') + 1)
  const acks = resolved.acks as number
  const maxInFlightRequests = resolved.maxInFlightRequests as number
  if (resolved.transactionalId !== null) {
    // Transactions are built on the idempotent producer's id, epoch and sequences.
    if (value === false) {
      throw new ConfigError(
        path,
        'a transactional producer (transactionalId set) is always idempotent; remove idempotent: false',
      )
    }
    return true
  }
  if (value === undefined) {
    // As in the Java client: idempotence is the default only where it is possible, so an explicit
    // `acks: 1` quietly means "not idempotent" instead of an error the user never asked about.
    return acks === -1 && maxInFlightRequests <= maxIdempotentInFlight
  }
  const idempotent = booleanOption(path, value, true)
  if (idempotent && acks !== -1) {
    throw new ConfigError(`${scope}acks`, `idempotent producers need acks 'all', got ${acksText(resolved)}`)
  }
  if (idempotent && maxInFlightRequests > maxIdempotentInFlight) {
    throw new ConfigError(
      `${scope}maxInFlightRequests`,
      `idempotent producers allow at most ${maxIdempotentInFlight} requests in flight, got ${maxInFlightRequests}`,
    )
  }
  return idempotent
}

function resolveTransactionalId(path: string, value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0 || value.length > 0x7fff) {
    throw new ConfigError(
      path,
      `expected a non-empty string of at most 32767 characters, got ${typeof value === 'string' ? 'an empty string' : typeof value}`,
    )
  }
  return value
}
