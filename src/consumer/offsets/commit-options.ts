/** The consumer's offset-commit options: types, defaults (the Java client's) and validation. */

import { booleanOption, integerOption } from '../../common/validate.ts'
import type { CommitOptions } from '../consumer-options.ts'

export interface ResolvedCommitOptions {
  /** Commit finished offsets in the background, before revoke and on close. Default true. */
  enableAutoCommit: boolean
  /** Period of the background commit. Default 5000. */
  autoCommitIntervalMs: number
  /**
   * Whether the consumer stores a message's offset itself once the application finished with it. With false,
   * only `storeOffsets()` does, and auto-commit commits only what the application stored. Default true.
   */
  enableAutoOffsetStore: boolean
}

/** Validates the commit options of `options` and applies defaults; throws ConfigError naming the option. */
export function resolveCommitOptions(options: CommitOptions): ResolvedCommitOptions {
  return {
    enableAutoCommit: booleanOption('consumer.enableAutoCommit', options.enableAutoCommit, true),
    autoCommitIntervalMs: integerOption(
      'consumer.autoCommitIntervalMs',
      options.autoCommitIntervalMs,
      5000,
      1,
      0x7fffffff,
    ),
    enableAutoOffsetStore: booleanOption(
      'consumer.enableAutoOffsetStore',
      options.enableAutoOffsetStore,
      true,
    ),
  }
}
