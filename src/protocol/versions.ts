/**
 * Version negotiation: the highest version of an API that both samsa and the broker speak.
 */

import { UnsupportedVersionError } from '../common/errors.ts'
import type { ApiDefinition } from './api.ts'

/** A broker's supported range of one API, as advertised in its ApiVersions response. */
export interface VersionRange {
  minVersion: number
  maxVersion: number
}

/**
 * Returns the highest version in the intersection of samsa's range for `api` (optionally capped at
 * `clientCap`, e.g. to stay below a version whose semantics a caller does not handle yet) and the broker's.
 *
 * @throws UnsupportedVersionError naming the API and both ranges when the broker lacks the API or the ranges
 *   do not overlap.
 */
export function pickVersion(
  api: ApiDefinition<unknown, unknown>,
  brokerRange: VersionRange | undefined,
  clientCap?: number,
): number {
  const clientMax = clientCap === undefined ? api.maxVersion : Math.min(api.maxVersion, clientCap)
  const ours = `v${api.minVersion}-${clientMax}`
  if (brokerRange === undefined) {
    throw new UnsupportedVersionError(
      `the broker does not support ${api.name} (API key ${api.apiKey}) at all; samsa speaks ${ours}`,
      api.name,
    )
  }
  const version = Math.min(clientMax, brokerRange.maxVersion)
  if (version < api.minVersion || version < brokerRange.minVersion) {
    throw new UnsupportedVersionError(
      `no common version of ${api.name}: samsa speaks ${ours}, the broker ` +
        `v${brokerRange.minVersion}-${brokerRange.maxVersion}`,
      api.name,
    )
  }
  return version
}
