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
} from '../../protocol/messages/api-versions.ts'
import { type ApiHandler, defineHandler } from '../api-handler.ts'

/** Kafka's rule for client software names and versions (KIP-511). */
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

/** The ApiVersions response listing `handlers`, with `errorCode`. */
export function apiVersionsResponse(handlers: readonly ApiHandler[], errorCode: number): ApiVersionsResponse {
  return createApiVersionsResponse({
    errorCode,
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
        return apiVersionsResponse(handlers(), ErrorCode.INVALID_REQUEST)
      }
      return apiVersionsResponse(handlers(), ErrorCode.NONE)
    },
  })
}
