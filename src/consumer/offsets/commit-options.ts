/** The consumer's offset-commit options, declared once (see common/option-table.ts); defaults are the Java client's. */

import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  resolveDeclared,
} from '../../common/option-table.ts'

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
