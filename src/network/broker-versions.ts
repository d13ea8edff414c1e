/**
 * The API versions one broker advertised in its ApiVersions response, and the choice of the version to use
 * for each request: the highest version both this client's codec and the broker support.
 */

import { UnsupportedVersionError } from '../common/errors.ts'
import type { ApiDefinition } from '../protocol/api.ts'

/** An inclusive range of versions. */
export interface VersionRange {
  readonly minVersion: number
  readonly maxVersion: number
}

type AnyApi = ApiDefinition<unknown, unknown>

export class BrokerVersions {
  readonly broker: string
  private readonly ranges: ReadonlyMap<number, VersionRange>

  constructor(broker: string, ranges: ReadonlyMap<number, VersionRange>) {
    this.broker = broker
    this.ranges = ranges
  }

  /** The broker's range for an API key, or undefined when the broker does not offer the API at all. */
  rangeFor(apiKey: number): VersionRange | undefined {
    return this.ranges.get(apiKey)
  }

  /** Every API key the broker offers with its range. */
  entries(): IterableIterator<[number, VersionRange]> {
    return this.ranges.entries()
  }

  /** True when some version of `api` from `minVersion` up is usable with this broker. */
  supports(api: AnyApi, minVersion = api.minVersion): boolean {
    const range = this.ranges.get(api.apiKey)
    if (range === undefined) return false
    return (
      Math.min(api.maxVersion, range.maxVersion) >= Math.max(api.minVersion, range.minVersion, minVersion)
    )
  }

  /**
   * The version to send: `exact` if given (it must be in both ranges), otherwise the highest version in both
   * ranges, capped at `maxVersion`. Throws {@link UnsupportedVersionError} naming the API and both ranges.
   */
  pick(api: AnyApi, maxVersion?: number, exact?: number): number {
    const range = this.ranges.get(api.apiKey)
    const low = Math.max(api.minVersion, range?.minVersion ?? Number.POSITIVE_INFINITY)
    let high = Math.min(api.maxVersion, range?.maxVersion ?? Number.NEGATIVE_INFINITY)
    if (maxVersion !== undefined) high = Math.min(high, maxVersion)
    if (exact !== undefined) {
      if (exact >= low && exact <= high) return exact
    } else if (high >= low) {
      return high
    }
    throw this.unsupported(api, range, maxVersion, exact)
  }

  private unsupported(
    api: AnyApi,
    range: VersionRange | undefined,
    maxVersion: number | undefined,
    exact: number | undefined,
  ): UnsupportedVersionError {
    const brokerSide =
      range === undefined
        ? `broker ${this.broker} does not support ${api.name} at all`
        : `broker ${this.broker} supports ${api.name} v${range.minVersion}-v${range.maxVersion}`
    const wanted =
      exact !== undefined
        ? `version ${exact} was requested`
        : maxVersion !== undefined
          ? `this operation needs at most v${maxVersion}`
          : 'no version is in both ranges'
    return new UnsupportedVersionError(
      `No usable version of ${api.name} (API key ${api.apiKey}): samsa supports v${api.minVersion}-v${api.maxVersion}, ${brokerSide}; ${wanted}`,
      api.name,
      { broker: this.broker },
    )
  }
}
