/**
 * ConsumerGroupHeartbeat (KIP-848): joins, heartbeats in and leaves a consumer group whose assignment the
 * coordinator computes (see consumer-groups.ts). A classic group of the same id that still has members
 * answers GROUP_ID_NOT_FOUND (no online migration); an empty one gives way to the consumer group.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  createAssignment,
  createConsumerGroupHeartbeatResponse,
  createConsumerGroupHeartbeatResponseTopicPartitions,
} from '../../protocol/messages/consumer-group-heartbeat.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

export const consumerGroupHeartbeatHandler = defineHandler<
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse
>({
  api: ConsumerGroupHeartbeat,
  handle(request, context) {
    const fail = (errorCode: number, errorMessage: string | null = null) =>
      createConsumerGroupHeartbeatResponse({ errorCode, errorMessage, memberEpoch: -1 })
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID)
    if (!coordinates(context, request.groupId)) return fail(ErrorCode.NOT_COORDINATOR)
    const { groups, consumerGroups } = context.state
    const classic = groups.classic(request.groupId)
    if (classic !== undefined) {
      if (!classic.isEmpty) {
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${request.groupId} is not a consumer group.`)
      }
      groups.dropClassic(request.groupId)
    }
    const result = consumerGroups.heartbeat(request, context.clientId ?? '', context.apiVersion)
    return createConsumerGroupHeartbeatResponse({
      errorCode: result.errorCode,
      errorMessage: result.errorMessage,
      memberId: result.memberId,
      memberEpoch: result.memberEpoch,
      heartbeatIntervalMs: result.heartbeatIntervalMs,
      assignment:
        result.assignment === null
          ? null
          : createAssignment({
              topicPartitions: result.assignment.map((t) =>
                createConsumerGroupHeartbeatResponseTopicPartitions(t),
              ),
            }),
    })
  },
})
