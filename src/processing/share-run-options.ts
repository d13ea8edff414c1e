/**
 * Options of `shareConsumer.run()`, declared once (see common/option-table.ts). The guarantee needs no
 * option: a share group acknowledges each record on its own, so a record is accepted when its handler
 * returns, released (delivered again, with a higher delivery count, possibly to another member) when it
 * throws, and the broker archives it once the group's `share.delivery.count.limit` is reached.
 */

import { ConfigError } from '../common/errors.ts'
import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  resolveOptions,
} from '../common/option-table.ts'
import type { ShareMessage } from '../consumer/share/share-message.ts'

/** What `eachMessage` gets. */
export interface ShareEachMessagePayload {
  message: ShareMessage
  /** Aborted when the run stops and its drain timeout passed. */
  signal: AbortSignal
}

/** What `eachBatch` gets: the records of one poll, from any partitions. */
export interface ShareEachBatchPayload {
  messages: ShareMessage[]
  signal: AbortSignal
}

const INT32_MAX = 0x7fffffff

export const shareRunOptionTable = defineOptions({
  /**
   * Called with each record. Returning accepts it (unless the handler acknowledged it itself); throwing
   * `AckMessage` accepts, `NackMessage` releases, `RejectMessage` rejects, and any other error does what
   * `onHandlerError` says.
   */
  eachMessage: option.optionalFunction<(payload: ShareEachMessagePayload) => Promise<void> | void>(
    'an async function ({ message, signal }); exactly one of eachMessage and eachBatch',
  ),
  /**
   * Called with the records of each poll. The records it did not acknowledge itself are settled together:
   * returning accepts them, the outcome exceptions and `onHandlerError` apply as for `eachMessage`.
   */
  eachBatch: option.custom<
    (payload: ShareEachBatchPayload) => Promise<void> | void,
    ((payload: ShareEachBatchPayload) => Promise<void> | void) | undefined
  >({
    type: 'function',
    defaultText: 'none',
    allowed: 'an async function ({ messages, signal }); exactly one of eachMessage and eachBatch',
    resolve: (path, value, resolved) => {
      if (value !== undefined && typeof value !== 'function') {
        throw new ConfigError(path, `expected a function, got ${typeof value}`)
      }
      if ((value === undefined) === (resolved.eachMessage === undefined)) {
        throw new ConfigError(path, 'give exactly one of eachMessage and eachBatch')
      }
      return value as ((payload: ShareEachBatchPayload) => Promise<void> | void) | undefined
    },
  }),
  /** `eachMessage` only: how many records of a poll are processed at once (a share group keeps no order). */
  concurrency: option.integer({ default: 1, min: 1, max: INT32_MAX }),
  /**
   * What a handler error other than the outcome exceptions does to its records: `release` (the default; they
   * are delivered again until the delivery-count limit archives them) or `reject` (archived at once).
   */
  onHandlerError: option.oneOf(['release', 'reject'] as const, { default: 'release' }),
  /**
   * Keep the records of a running handler locked to this member: while it runs, they are renewed (RENEW,
   * KIP-1222) every half lock duration (`acquisitionLockTimeoutMs` / 2), so handlers may take longer than
   * the group's `share.record.lock.duration.ms`. Off by default, as in the Java client, where the
   * application renews.
   */
  renewLocks: option.boolean({ default: false }),
  /** Stop gracefully (drain, commit, leave) on SIGTERM and SIGINT, as `consumer.run({ handleSignals })`. */
  handleSignals: option.boolean({ default: false }),
  /** How long `stop()` waits for in-flight handlers before aborting their signal, in ms. */
  drainTimeoutMs: option.integer({ default: 30_000, min: 0, max: INT32_MAX }),
  /** Called with each handler error and each failed acknowledgement; logged when not given. */
  onError: option.optionalFunction<(error: unknown, message?: ShareMessage) => void>(
    'a function (error, message?)',
  ),
})

export type ShareRunOptions = OptionsOf<typeof shareRunOptionTable>
export type ResolvedShareRunOptions = ResolvedOf<typeof shareRunOptionTable>

export function resolveShareRunOptions(options: ShareRunOptions): ResolvedShareRunOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('run options must be an object with eachMessage or eachBatch')
  }
  return resolveOptions(shareRunOptionTable, 'run', options)
}
