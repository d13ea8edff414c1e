/** SyncGroup: the leader hands in the assignment; every member gets its share when the leader's arrives. */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createSyncGroupResponse,
  SyncGroup,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../protocol/messages/sync-group.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  api: SyncGroup,
  async handle(request, context) {
    if (!coordinates(context, request.groupId))
      return createSyncGroupResponse({ errorCode: ErrorCode.NOT_COORDINATOR })
    const group = context.state.groups.classic(request.groupId)
    if (group === undefined) return createSyncGroupResponse({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID })
    if (
      (request.protocolType !== null && request.protocolType !== group.protocolType) ||
      (request.protocolName !== null &&
        group.protocolName !== null &&
        request.protocolName !== group.protocolName)
    ) {
      return createSyncGroupResponse({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL })
    }
    const result = await group.sync(request.memberId, request.generationId, request.assignments)
    return createSyncGroupResponse(result)
  },
})
