/** Heartbeat: keeps a classic member's session; REBALANCE_IN_PROGRESS tells it to rejoin. */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createHeartbeatResponse,
  Heartbeat,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from '../../protocol/messages/heartbeat.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  api: Heartbeat,
  handle(request, context) {
    if (!coordinates(context, request.groupId))
      return createHeartbeatResponse({ errorCode: ErrorCode.NOT_COORDINATOR })
    const group = context.state.groups.classic(request.groupId)
    const errorCode =
      group === undefined
        ? ErrorCode.UNKNOWN_MEMBER_ID
        : group.heartbeat(request.memberId, request.generationId)
    return createHeartbeatResponse({ errorCode })
  },
})
