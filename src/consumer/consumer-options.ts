/**
 * Consumer options: the public type, its defaults and validation. Defaults follow the Java client's, so a
 * samsa consumer and a Java consumer configured alike fetch alike.
 */

import { enumOption, integerOption, rejectUnknownOptions, stringOption } from '../common/validate.ts'
import { GROUP_OPTION_KEYS, type GroupOptions } from './group/group-options.ts'

/** What to do when a partition has no valid position: no committed offset, or the offset left the log. */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none'

/** Which records a fetch may return: all of them, or only those of committed transactions (and non-transactional ones). */
export type IsolationLevel = 'read_uncommitted' | 'read_committed'

/**
 * Options of {@link Consumer}. Every field is optional; defaults are the Java client's. The group membership
 * options ({@link GroupOptions}: `groupId`, `groupProtocol`, ...) are validated by the group coordinator.
 */
export interface ConsumerOptions extends GroupOptions, CommitOptions {
  /**
   * Where to start when a partition has no position: `earliest` (log start), `latest` (log end, the default)
   * or `none` (fail with {@link OffsetOutOfRangeError} and let the application `seek`).
   */
  autoOffsetReset?: AutoOffsetReset
  /** `read_committed` hides records of aborted transactions and of still-open ones. Default `read_uncommitted`. */
  isolationLevel?: IsolationLevel
  /** Bytes the broker waits to accumulate before answering a fetch. Default 1. */
  fetchMinBytes?: number
  /** Upper bound of one fetch response (the broker still returns one whole batch if it is larger). Default 52428800. */
  fetchMaxBytes?: number
  /** Upper bound of one partition's data in one fetch response. Default 1048576. */
  maxPartitionFetchBytes?: number
  /** Longest the broker holds a fetch waiting for `fetchMinBytes`. Default 500. */
  fetchMaxWaitMs?: number
  /** Most records one `poll()` returns. Default 500. */
  maxPollRecords?: number
  /**
   * Bound on fetched-but-not-yet-delivered data, counting the space reserved by fetches in flight. The consumer
   * fetches ahead of the application until this much is buffered, then waits for the application to catch up.
   * Default 67108864 (64 MiB): one full `fetchMaxBytes` response plus headroom, so one broker can always have
   * a full-size fetch in flight while the previous response is being consumed.
   */
  maxBufferedBytes?: number
  /** Pause after a failed fetch or offset lookup before trying again. Default 100. */
  retryBackoffMs?: number
  /** Rack of this consumer, sent with fetches so brokers can offer a same-rack replica (KIP-392). */
  clientRack?: string
}

/**
 * Offset-commit options, validated by the group's commit manager; declared here so one options object
 * configures the whole consumer.
 */
export interface CommitOptions {
  enableAutoCommit?: boolean
  autoCommitIntervalMs?: number
  enableAutoOffsetStore?: boolean
}

/** The fetch-side options with their defaults applied. */
export interface ResolvedConsumerOptions {
  autoOffsetReset: AutoOffsetReset
  isolationLevel: IsolationLevel
  fetchMinBytes: number
  fetchMaxBytes: number
  maxPartitionFetchBytes: number
  fetchMaxWaitMs: number
  maxPollRecords: number
  maxBufferedBytes: number
  retryBackoffMs: number
  clientRack: string | undefined
}

const fetchOptionNames = [
  'autoOffsetReset',
  'isolationLevel',
  'fetchMinBytes',
  'fetchMaxBytes',
  'maxPartitionFetchBytes',
  'fetchMaxWaitMs',
  'maxPollRecords',
  'maxBufferedBytes',
  'retryBackoffMs',
  'clientRack',
] as const

/** Options validated elsewhere (group membership, commits), accepted here so they are not reported as unknown. */
const delegatedOptionNames: readonly string[] = [
  ...GROUP_OPTION_KEYS,
  'enableAutoCommit',
  'autoCommitIntervalMs',
  'enableAutoOffsetStore',
]

const int32Max = 0x7fffffff

/** Validates `options` and applies defaults; throws ConfigError naming the first bad option. */
export function resolveConsumerOptions(options: ConsumerOptions = {}): ResolvedConsumerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('consumer options must be an object')
  }
  rejectUnknownOptions('consumer', options, [...fetchOptionNames, ...delegatedOptionNames])
  const fetchMaxBytes = integerOption(
    'consumer.fetchMaxBytes',
    options.fetchMaxBytes,
    52_428_800,
    1,
    int32Max,
  )
  const maxPartitionFetchBytes = integerOption(
    'consumer.maxPartitionFetchBytes',
    options.maxPartitionFetchBytes,
    1_048_576,
    1,
    int32Max,
  )
  return {
    autoOffsetReset: enumOption(
      'consumer.autoOffsetReset',
      options.autoOffsetReset,
      ['earliest', 'latest', 'none'] as const,
      'latest',
    ),
    isolationLevel: enumOption(
      'consumer.isolationLevel',
      options.isolationLevel,
      ['read_uncommitted', 'read_committed'] as const,
      'read_uncommitted',
    ),
    fetchMinBytes: integerOption('consumer.fetchMinBytes', options.fetchMinBytes, 1, 0, int32Max),
    fetchMaxBytes,
    maxPartitionFetchBytes,
    fetchMaxWaitMs: integerOption('consumer.fetchMaxWaitMs', options.fetchMaxWaitMs, 500, 0, int32Max),
    maxPollRecords: integerOption('consumer.maxPollRecords', options.maxPollRecords, 500, 1, int32Max),
    maxBufferedBytes: integerOption(
      'consumer.maxBufferedBytes',
      options.maxBufferedBytes,
      64 * 1024 * 1024,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    retryBackoffMs: integerOption('consumer.retryBackoffMs', options.retryBackoffMs, 100, 0, int32Max),
    clientRack:
      options.clientRack === undefined
        ? undefined
        : stringOption('consumer.clientRack', options.clientRack, ''),
  }
}
