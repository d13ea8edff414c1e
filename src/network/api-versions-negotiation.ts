/**
 * The first exchange on every connection: ApiVersions, which tells the client which versions of every API
 * this broker speaks.
 *
 * The client cannot know the broker's ApiVersions range before asking, so it asks with the highest version
 * it knows. A broker that does not know that version answers UNSUPPORTED_VERSION in the version 0 body
 * format (whatever version was asked), listing the ApiVersions range it does support; the client then asks
 * again with the highest version in both ranges.
 */

import { UnsupportedVersionError } from '../common/errors.ts'
import type { ApiDefinition } from '../protocol/api.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import {
  ApiVersions,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from '../protocol/messages/api-versions.ts'
import type { Reader } from '../protocol/primitives/reader.ts'
import { BrokerVersions, type VersionRange } from './broker-versions.ts'

/** Sent in ApiVersions v3+ so brokers can report which clients connect (KIP-511). */
export const CLIENT_SOFTWARE_NAME = 'samsa'
export const CLIENT_SOFTWARE_VERSION = '0.1.0'

/** Sends one ApiVersions request at an exact version and resolves with the decoded response. */
export type ApiVersionsSender = (
  api: ApiDefinition<ApiVersionsRequest, ApiVersionsResponse>,
  version: number,
  request: ApiVersionsRequest,
) => Promise<ApiVersionsResponse>

/**
 * Wraps an ApiVersions definition so that an UNSUPPORTED_VERSION answer, which arrives in the v0 body
 * format whatever version was asked, is decoded as v0. The error code is the first field in every version,
 * so it can be peeked before choosing the decoder.
 */
function tolerantApiVersions(
  api: ApiDefinition<ApiVersionsRequest, ApiVersionsResponse>,
): ApiDefinition<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    ...api,
    decodeResponse(reader: Reader, version: number): ApiVersionsResponse {
      const peekedError = reader.remaining >= 2 ? reader.buffer.readInt16BE(reader.position) : 0
      return api.decodeResponse(reader, peekedError === ErrorCode.UNSUPPORTED_VERSION ? 0 : version)
    },
  }
}

/**
 * Runs the ApiVersions exchange through `send` and returns the broker's ranges. `api` is the ApiVersions
 * definition to use; tests pass one claiming a higher maximum to exercise the fallback.
 */
export async function negotiateApiVersions(
  broker: string,
  send: ApiVersionsSender,
  api: ApiDefinition<ApiVersionsRequest, ApiVersionsResponse> = ApiVersions,
): Promise<BrokerVersions> {
  const tolerant = tolerantApiVersions(api)
  const request = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }
  let version = api.maxVersion
  let response = await send(tolerant, version, request)

  if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
    const brokerRange = response.apiKeys.find((key) => key.apiKey === api.apiKey)
    const fallback = brokerRange === undefined ? -1 : Math.min(api.maxVersion, brokerRange.maxVersion)
    if (brokerRange === undefined || fallback < Math.max(api.minVersion, brokerRange.minVersion)) {
      const offered =
        brokerRange === undefined ? 'none' : `v${brokerRange.minVersion}-v${brokerRange.maxVersion}`
      throw new UnsupportedVersionError(
        `Broker ${broker} rejected ApiVersions v${version} and offers ${offered}, none of which samsa speaks (v${api.minVersion}-v${api.maxVersion})`,
        api.name,
        { broker },
      )
    }
    version = fallback
    response = await send(tolerant, version, request)
  }
  const error = errorForCode(response.errorCode, { broker })
  if (error !== null) throw error

  const ranges = new Map<number, VersionRange>()
  for (const key of response.apiKeys) {
    ranges.set(key.apiKey, { minVersion: key.minVersion, maxVersion: key.maxVersion })
  }
  return new BrokerVersions(broker, ranges)
}
