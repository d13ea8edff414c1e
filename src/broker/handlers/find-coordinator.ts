/**
 * FindCoordinator: the node coordinating each group (key type 0) or transactional id (key type 1); one key
 * up to v3, a list of keys from v4. Share-group keys (type 2) are not served.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  type Coordinator,
  createCoordinator,
  createFindCoordinatorResponse,
  FindCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/messages/find-coordinator.ts'
import { defineHandler, type RequestContext } from '../api-handler.ts'

const FIRST_BATCHED_VERSION = 4

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  api: FindCoordinator,
  handle(request, context) {
    if (context.apiVersion >= FIRST_BATCHED_VERSION) {
      return createFindCoordinatorResponse({
        coordinators: request.coordinatorKeys.map((key) => locate(context, key, request.keyType)),
      })
    }
    const found = locate(context, request.key, request.keyType)
    return createFindCoordinatorResponse({
      errorCode: found.errorCode,
      errorMessage: found.errorMessage,
      nodeId: found.nodeId,
      host: found.host,
      port: found.port,
    })
  },
})

function locate(context: RequestContext, key: string, keyType: number): Coordinator {
  if (keyType !== 0 && keyType !== 1) {
    return createCoordinator({
      key,
      nodeId: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `key type ${keyType} is not served by the in-process broker`,
    })
  }
  if (keyType === 0 && key === '') {
    return createCoordinator({ key, nodeId: -1, errorCode: ErrorCode.INVALID_GROUP_ID })
  }
  const node = context.state.coordinatorFor(key)
  return createCoordinator({ key, nodeId: node.nodeId, host: node.host, port: node.port })
}
