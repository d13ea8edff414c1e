/**
 * Share consumer options (KIP-932), declared once like every client's (see common/option-table.ts).
 *
 * A share group's timing lives on the broker: the session timeout, the heartbeat interval, the acquisition
 * lock duration, the delivery-count limit and where a new group starts reading (`share.auto.offset.reset`,
 * `latest` unless set) are group configs (`share.*`, set with IncrementalAlterConfigs on the GROUP resource),
 * so none of them is an option here.
 */

import { ConfigError } from '../../common/errors.ts'
import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  resolveOptions,
} from '../../common/option-table.ts'
import { stringOption } from '../../common/validate.ts'

const INT32_MAX = 0x7fffffff

/** How delivered records are acknowledged when the application does not say (Java's `share.acknowledgement.mode`). */
export type ShareAcknowledgementMode = 'implicit' | 'explicit'

export const shareConsumerOptionTable = defineOptions({
  /** The share group to join. Required. */
  groupId: option.custom<string, string>({
    type: 'string',
    defaultText: 'none (required)',
    allowed: 'a non-empty string',
    resolve: (path, value) => {
      if (value === undefined) throw new ConfigError(path, 'is required: the share group to join')
      return stringOption(path, value, '')
    },
  }),
  /**
   * `implicit`: every record a `poll()` (or the iterator) delivered and the application did not acknowledge
   * is accepted when the next one starts, or on `commit()` / `close()`. `explicit`: each record must be
   * acknowledged with `ack()`, `nack()` or `reject()` before the next poll, which otherwise throws.
   */
  acknowledgement: option.oneOf<ShareAcknowledgementMode>(['implicit', 'explicit'], { default: 'implicit' }),
  /** Most records one `poll()` returns, and what each ShareFetch asks the broker for (`MaxRecords`). */
  maxPollRecords: option.integer({ default: 500, min: 1, max: INT32_MAX }),
  /**
   * How many records a ShareFetch may acquire (KIP-1206, ShareFetch v2; Java's `share.acquire.mode`):
   * `batch-optimized` lets the broker exceed `maxPollRecords` to hand out whole record batches;
   * `record-limit` caps it at `maxPollRecords`, so records produced in one batch can still go to several
   * members. Brokers without v2 always behave as `batch-optimized`.
   */
  acquireMode: option.oneOf(['batch-optimized', 'record-limit'] as const, { default: 'batch-optimized' }),
  /** Bytes the broker waits to accumulate before answering a ShareFetch. */
  fetchMinBytes: option.integer({ default: 1, min: 0, max: INT32_MAX }),
  /** Upper bound of one ShareFetch response (the broker still returns one whole batch if it is larger). */
  fetchMaxBytes: option.integer({ default: 52_428_800, min: 1, max: INT32_MAX }),
  /** Longest the broker holds a ShareFetch waiting for `fetchMinBytes`, in ms. */
  fetchMaxWaitMs: option.integer({ default: 500, min: 0, max: INT32_MAX }),
  /** Pause after a failed heartbeat or fetch before trying again, in ms (doubling up to `retryBackoffMaxMs`). */
  retryBackoffMs: option.integer({ default: 100, min: 0, max: INT32_MAX }),
  /** Longest pause between retries, in ms. */
  retryBackoffMaxMs: option.integer({ default: 1000, min: 0, max: INT32_MAX }),
  /** Rack of this member, sent with its heartbeats so a rack-aware assignor can use it. */
  clientRack: option.optionalString(),
})

/** Options of `kafka.shareConsumer()`. `groupId` is required; the rest default as in the Java client. */
export type ShareConsumerOptions = OptionsOf<typeof shareConsumerOptionTable> & { groupId: string }

export type ResolvedShareConsumerOptions = ResolvedOf<typeof shareConsumerOptionTable>

/** Validates `options` and applies defaults; throws ConfigError naming the first bad option. */
export function resolveShareConsumerOptions(options: ShareConsumerOptions): ResolvedShareConsumerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('share consumer options must be an object with a groupId')
  }
  return resolveOptions(shareConsumerOptionTable, 'shareConsumer', options)
}
