/**
 * JoinGroup: joins a classic group and waits for the rebalance to complete (see classic-group.ts). From v4
 * a member without an id first gets one with MEMBER_ID_REQUIRED (KIP-394). Session timeouts outside the
 * broker's bounds (6 s to 30 min, Kafka's defaults) are refused with INVALID_SESSION_TIMEOUT.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createJoinGroupResponse,
  createJoinGroupResponseMember,
  JoinGroup,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../protocol/messages/join-group.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

const MIN_SESSION_TIMEOUT_MS = 6000
const MAX_SESSION_TIMEOUT_MS = 1_800_000
const FIRST_VERSION_REQUIRING_MEMBER_ID = 4
const FIRST_VERSION_NULLABLE_PROTOCOL = 7

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  api: JoinGroup,
  async handle(request, context) {
    const fail = (errorCode: number): JoinGroupResponse =>
      createJoinGroupResponse({ errorCode, memberId: request.memberId, generationId: -1 })
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID)
    if (!coordinates(context, request.groupId)) return fail(ErrorCode.NOT_COORDINATOR)
    if (
      request.sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS ||
      request.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT)
    }
    if (!context.state.groups.releaseEmptyConsumerGroup(request.groupId))
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const group = context.state.groups.classicOrCreate(request.groupId)
    const result = await group.join(
      {
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        sessionTimeoutMs: request.sessionTimeoutMs,
        // v0 has no rebalance timeout; Kafka uses the session timeout for it.
        rebalanceTimeoutMs: context.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
      },
      context.clientId ?? '',
      context.apiVersion >= FIRST_VERSION_REQUIRING_MEMBER_ID,
    )
    return createJoinGroupResponse({
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Nullable from v7; before, Kafka answers an empty name (JoinGroupResponse's constructor does so).
      protocolName: result.protocolName ?? (context.apiVersion < FIRST_VERSION_NULLABLE_PROTOCOL ? '' : null),
      leader: result.leader,
      skipAssignment: result.skipAssignment,
      memberId: result.memberId,
      members: result.members.map((m) => createJoinGroupResponseMember(m)),
    })
  },
})
