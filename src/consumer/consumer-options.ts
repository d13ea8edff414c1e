/**
 * Consumer options: the public type, its defaults and validation. Defaults follow the Java client's, so a
 * samsa consumer and a Java consumer configured alike fetch alike.
 */

import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  resolveOptions,
} from '../common/option-table.ts'
import { type GroupOptions, groupOptionTable } from './group/group-options.ts'
import { type CommitOptions, commitOptionTable } from './offsets/commit-options.ts'

/** What to do when a partition has no valid position: no committed offset, or the offset left the log. */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none'

/** Which records a fetch may return: all of them, or only those of committed transactions (and non-transactional ones). */
export type IsolationLevel = 'read_uncommitted' | 'read_committed'

const int32Max = 0x7fffffff

/**
 * The consumer's own fetch options, declared once (see common/option-table.ts). The group membership options
 * (group/group-options.ts) and the commit options (offsets/commit-options.ts) have tables of their own; one
 * options object carries all three.
 */
export const consumerOptionTable = defineOptions({
  /**
   * Where to start when a partition has no position: `earliest` (log start), `latest` (log end) or `none`
   * (fail with {@link OffsetOutOfRangeError} and let the application `seek`).
   */
  autoOffsetReset: option.oneOf(['earliest', 'latest', 'none'] as const, { default: 'latest' }),
  /** `read_committed` hides records of aborted transactions and of still-open ones. */
  isolationLevel: option.oneOf(['read_uncommitted', 'read_committed'] as const, {
    default: 'read_uncommitted',
  }),
  /** Bytes the broker waits to accumulate before answering a fetch. */
  fetchMinBytes: option.integer({ default: 1, min: 0, max: int32Max }),
  /** Upper bound of one fetch response (the broker still returns one whole batch if it is larger). */
  fetchMaxBytes: option.integer({ default: 52_428_800, min: 1, max: int32Max }),
  /** Upper bound of one partition's data in one fetch response. */
  maxPartitionFetchBytes: option.integer({ default: 1_048_576, min: 1, max: int32Max }),
  /** Longest the broker holds a fetch waiting for `fetchMinBytes`, in ms. */
  fetchMaxWaitMs: option.integer({ default: 500, min: 0, max: int32Max }),
  /** Most records one `poll()` returns. */
  maxPollRecords: option.integer({ default: 500, min: 1, max: int32Max }),
  /**
   * Bound on fetched-but-not-yet-delivered data, counting the space reserved by fetches in flight. The consumer
   * fetches ahead of the application until this much is buffered, then waits for the application to catch up;
   * each leader broker gets an even share. 4 MiB keeps a fetch in flight while the application works through
   * the previous one, on a local network, at full speed (measured: a larger read-ahead made consumption of
   * small records slower, since buffered records are heap the garbage collector keeps tracing). Raise it for
   * brokers far away, where a fetch's round trip is long compared with processing what it brings.
   */
  maxBufferedBytes: option.integer({
    default: 4 * 1024 * 1024,
    defaultText: '4194304 (4 MiB)',
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  }),
  /** Pause after a failed fetch or offset lookup before trying again, in ms. */
  retryBackoffMs: option.integer({ default: 100, min: 0, max: int32Max }),
  /** Rack of this consumer, sent with fetches so brokers can offer a same-rack replica (KIP-392). */
  clientRack: option.optionalString(),
})

/**
 * Options of {@link Consumer}. Every field is optional; defaults are the Java client's. The group membership
 * options ({@link GroupOptions}: `groupId`, `groupProtocol`, ...) are validated by the group coordinator.
 */
export type ConsumerOptions = OptionsOf<typeof consumerOptionTable> & GroupOptions & CommitOptions

/** The fetch-side options with their defaults applied. */
export type ResolvedConsumerOptions = ResolvedOf<typeof consumerOptionTable>

/** Options validated elsewhere (group membership, commits), accepted here so they are not reported as unknown. */
const delegatedOptionNames: readonly string[] = [
  ...Object.keys(groupOptionTable),
  ...Object.keys(commitOptionTable),
]

/** Validates `options` and applies defaults; throws ConfigError naming the first bad option. */
export function resolveConsumerOptions(options: ConsumerOptions = {}): ResolvedConsumerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('consumer options must be an object')
  }
  return resolveOptions(consumerOptionTable, 'consumer', options, delegatedOptionNames)
}
