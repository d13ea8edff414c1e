/** The consumer's offset-commit options, declared once (see common/option-table.ts); defaults are the Java client's. */

import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  resolveDeclared,
} from '../../common/option-table.ts'
import type { TopicPartitionOffset } from '../../common/types.ts'

/** What started a commit (see `onCommit`). */
export type CommitReason = 'sync' | 'async' | 'auto' | 'revoke' | 'close'

/** One commit's outcome, as `onCommit` receives it. */
export interface CommitEvent {
  reason: CommitReason
  /** What was committed; on failure, what the commit tried to commit. */
  offsets: TopicPartitionOffset[]
  /** Null when the commit succeeded. */
  error: unknown
}

export const commitOptionTable = defineOptions({
  /** Commit finished offsets in the background, before revoke and on close. */
  enableAutoCommit: option.boolean({ default: true }),
  /** Period of the background commit, in ms. */
  autoCommitIntervalMs: option.integer({ default: 5000, min: 1 }),
  /**
   * Whether the consumer stores a message's offset itself once the application finished with it. With false,
   * only `storeOffsets()` does, and auto-commit commits only what the application stored.
   */
  enableAutoOffsetStore: option.boolean({ default: true }),
  /**
   * Called after every commit this consumer sends, whatever started it (a `commit()`, a `commitAsync()`,
   * auto-commit, the commit before a revocation or on close), with what was committed or the error
   * (rust-rdkafka's commit callback).
   */
  onCommit: option.optionalFunction<(event: CommitEvent) => void>('a function (event: CommitEvent) => void'),
  /**
   * The `ack` mode of `run()` on this consumer when the run does not name one. `'manual'` turns automatic
   * marking off for the whole consumer (Karafka's client-wide `manual_offset_management`).
   */
  runAck: option.oneOf(['after-success', 'before-processing', 'manual'] as const, {
    default: 'after-success',
  }),
})

/** The commit options of a consumer's options object. */
export type CommitOptions = OptionsOf<typeof commitOptionTable>

export type ResolvedCommitOptions = ResolvedOf<typeof commitOptionTable>

/** Validates the commit options of `options` and applies defaults; throws ConfigError naming the option. */
export function resolveCommitOptions(options: CommitOptions): ResolvedCommitOptions {
  return resolveDeclared(commitOptionTable, 'consumer', options)
}
