/**
 * The options of admin calls (the last argument of `createTopics`, `deleteTopics`, `listTopics` and the calls
 * that take only a bound on the whole operation), declared once (see common/option-table.ts).
 */

import { defineOptions, type OptionsOf, option } from '../common/option-table.ts'

/** Default bound on an admin operation, including the wait for metadata to catch up. */
export const defaultAdminTimeoutMs = 30_000

const timeoutMs = option.integer({ default: defaultAdminTimeoutMs, min: 1, max: 0x7fffffff })

export const createTopicsOptionTable = defineOptions({
  /** Ask the controller to check the request without creating anything. */
  validateOnly: option.boolean({ default: false }),
  /**
   * Skip topics that already exist instead of failing with `TOPIC_ALREADY_EXISTS`. The existing topic is
   * left as it is, even if its partition count or configs differ from the request.
   */
  ifNotExists: option.boolean({ default: false }),
  /** How long the controller, and then the wait for every new partition to have a leader, may take in total. */
  timeoutMs,
})

export const deleteTopicsOptionTable = defineOptions({
  /** Succeed for topics that do not exist instead of failing with `UNKNOWN_TOPIC_OR_PARTITION`. */
  ifExists: option.boolean({ default: false }),
  /** How long the deletion and the wait for metadata to forget the topics may take. */
  timeoutMs,
})

export const listTopicsOptionTable = defineOptions({
  /** Include internal topics such as `__consumer_offsets`. */
  includeInternal: option.boolean({ default: false }),
})

/** Calls whose only option bounds the whole operation. */
export const timeoutOptionTable = defineOptions({
  /** How long the whole operation, retries and waits included, may take. */
  timeoutMs,
})

export type CreateTopicsOptions = OptionsOf<typeof createTopicsOptionTable>
export type DeleteTopicsOptions = OptionsOf<typeof deleteTopicsOptionTable>
export type ListTopicsOptions = OptionsOf<typeof listTopicsOptionTable>
