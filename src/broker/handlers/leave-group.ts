/** LeaveGroup: one member up to v2, a list of members (by member or static instance id) from v3. */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createLeaveGroupResponse,
  createMemberResponse,
  LeaveGroup,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
} from '../../protocol/messages/leave-group.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

const FIRST_BATCHED_VERSION = 3

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  api: LeaveGroup,
  handle(request, context) {
    if (!coordinates(context, request.groupId))
      return createLeaveGroupResponse({ errorCode: ErrorCode.NOT_COORDINATOR })
    const group = context.state.groups.classic(request.groupId)
    if (context.apiVersion < FIRST_BATCHED_VERSION) {
      const errorCode =
        group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.leave(request.memberId, null)
      return createLeaveGroupResponse({ errorCode })
    }
    return createLeaveGroupResponse({
      members: request.members.map((m) =>
        createMemberResponse({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode:
            group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.leave(m.memberId, m.groupInstanceId),
        }),
      ),
    })
  },
})
