/**
 * DescribeGroups: a classic group's state, protocol and members with their metadata and assignment. A
 * group that only has committed offsets is Empty; an unknown one is Dead (GROUP_ID_NOT_FOUND from v6, as
 * Kafka 4 answers), and a KIP-848 group is not a classic group (GROUP_ID_NOT_FOUND; ConsumerGroupDescribe
 * describes those).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createDescribedGroup,
  createDescribedGroupMember,
  createDescribeGroupsResponse,
  DescribeGroups,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from '../../protocol/messages/describe-groups.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

const FIRST_VERSION_NOT_FOUND = 6

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  api: DescribeGroups,
  handle(request, context) {
    const { groups } = context.state
    return createDescribeGroupsResponse({
      groups: request.groups.map((groupId) => {
        if (!coordinates(context, groupId)) {
          return createDescribedGroup({ groupId, errorCode: ErrorCode.NOT_COORDINATOR })
        }
        const classic = groups.classic(groupId)
        const known = classic !== undefined || groups.offsets.hasGroup(groupId)
        if (groups.consumerGroupExists(groupId) || !known) {
          const notFound = context.apiVersion >= FIRST_VERSION_NOT_FOUND
          return createDescribedGroup({
            groupId,
            groupState: 'Dead',
            errorCode: notFound ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NONE,
            errorMessage: notFound
              ? groups.consumerGroupExists(groupId)
                ? `Group ${groupId} is not a classic group.`
                : `Group ${groupId} not found.`
              : null,
          })
        }
        const stable = classic?.state === 'Stable'
        return createDescribedGroup({
          groupId,
          groupState: classic?.state ?? 'Empty',
          protocolType: classic?.protocolType ?? '',
          protocolData: classic?.protocolName ?? '',
          members: (classic?.describeMembers() ?? []).map((m) =>
            createDescribedGroupMember({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: '/127.0.0.1',
              // As Kafka: metadata and assignment only once the group is stable.
              memberMetadata: stable ? m.metadata : Buffer.alloc(0),
              memberAssignment: stable ? m.assignment : Buffer.alloc(0),
            }),
          ),
          authorizedOperations: -2147483648,
        })
      }),
    })
  },
})
