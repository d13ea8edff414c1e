/**
 * ApiVersions: the versions of every API this broker serves. From v3 the client must name its software
 * (KIP-511); Kafka answers INVALID_REQUEST to an empty or ill-formed name or version, and so does this one.
 * A request at a version above the broker's range is answered by the connection with a v0 response carrying
 * UNSUPPORTED_VERSION and the range, so the client can retry lower (see connection.ts).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  ApiVersions,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  createApiVersion,
  createApiVersionsResponse,
  createFinalizedFeatureKey,
  createSupportedFeatureKey,
} from '../../protocol/messages/api-versions.ts'
import { type ApiHandler, defineHandler } from '../api-handler.ts'

/** Kafka's rule for client software names and versions (KIP-511). */
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

/** Feature name, lowest and highest supported level; the finalized level is the highest. */
const FEATURES: readonly (readonly [string, number, number])[] = [
  ['group.version', 0, 1],
  ['metadata.version', 7, 30],
  ['transaction.version', 0, 2],
]

/** The ApiVersions response listing `handlers`, with `errorCode`. */
export function apiVersionsResponse(
  handlers: readonly ApiHandler[],
  errorCode: number,
  transactionVersion = 2,
): ApiVersionsResponse {
  return createApiVersionsResponse({
    errorCode,
    // The features a Kafka 4.3 cluster reports that this broker honours; clients read `transaction.version`
    // to choose the transaction protocol (KIP-890) and `group.version` 1 means KIP-848 groups. Share and
    // streams groups are not served, so their features are not claimed.
    supportedFeatures: FEATURES.map(([name, min, max]) =>
      createSupportedFeatureKey({ name, minVersion: min, maxVersion: max }),
    ),
    finalizedFeaturesEpoch: 1n,
    finalizedFeatures: FEATURES.map(([name, , max]) => {
      const level = name === 'transaction.version' ? transactionVersion : max
      return createFinalizedFeatureKey({ name, minVersionLevel: level, maxVersionLevel: level })
    }),
    apiKeys: handlers
      .map((handler) =>
        createApiVersion({
          apiKey: handler.api.apiKey,
          minVersion: handler.minVersion ?? handler.api.minVersion,
          maxVersion: handler.maxVersion ?? handler.api.maxVersion,
        }),
      )
      .sort((a, b) => a.apiKey - b.apiKey),
  })
}

export function apiVersionsHandler(handlers: () => readonly ApiHandler[]): ApiHandler {
  return defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
    api: ApiVersions,
    handle(request, context) {
      if (
        context.apiVersion >= 3 &&
        !(SOFTWARE.test(request.clientSoftwareName) && SOFTWARE.test(request.clientSoftwareVersion))
      ) {
        return apiVersionsResponse(
          handlers(),
          ErrorCode.INVALID_REQUEST,
          context.state.settings.transactionVersion,
        )
      }
      return apiVersionsResponse(handlers(), ErrorCode.NONE, context.state.settings.transactionVersion)
    },
  })
}
