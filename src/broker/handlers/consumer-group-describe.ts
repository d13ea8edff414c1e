/**
 * ConsumerGroupDescribe: a KIP-848 group's epochs, assignor and members with their current and target
 * assignments. A group that is not a consumer group is GROUP_ID_NOT_FOUND, as Kafka answers.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  createAssignment,
  createConsumerGroupDescribeResponse,
  createDescribedGroup,
  createMember,
  createTopicPartitions,
} from '../../protocol/messages/consumer-group-describe.ts'
import { defineHandler } from '../api-handler.ts'
import type { TopicStore } from '../topic-store.ts'
import { coordinates } from './coordinator-check.ts'

/** Member type 1: a member using the consumer protocol (0 would be a classic member in a mixed group). */
const CONSUMER_MEMBER = 1

export const consumerGroupDescribeHandler = defineHandler<
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse
>({
  api: ConsumerGroupDescribe,
  handle(request, context) {
    const { state } = context
    return createConsumerGroupDescribeResponse({
      groups: request.groupIds.map((groupId) => {
        if (!coordinates(context, groupId)) {
          return createDescribedGroup({ groupId, errorCode: ErrorCode.NOT_COORDINATOR })
        }
        const group = state.consumerGroups.describe(groupId)
        if (group === undefined) {
          return createDescribedGroup({
            groupId,
            errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
            errorMessage: `Group ${groupId} not found.`,
          })
        }
        return createDescribedGroup({
          groupId,
          groupState: group.state,
          groupEpoch: group.groupEpoch,
          assignmentEpoch: group.assignmentEpoch,
          assignorName: group.assignor,
          members: group.members.map((m) =>
            createMember({
              memberId: m.memberId,
              instanceId: m.instanceId,
              memberEpoch: m.epoch,
              clientId: m.clientId,
              clientHost: '/127.0.0.1',
              subscribedTopicNames: m.topicNames,
              subscribedTopicRegex: m.regex,
              assignment: assignmentOf(state.topics, m.assigned),
              targetAssignment: assignmentOf(state.topics, m.target),
              ...(context.apiVersion >= 1 ? { memberType: CONSUMER_MEMBER } : {}),
            }),
          ),
        })
      }),
    })
  },
})

function assignmentOf(topics: TopicStore, keys: string[]) {
  const byTopic = new Map<string, number[]>()
  for (const key of keys) {
    const at = key.lastIndexOf(':')
    const topicId = key.slice(0, at)
    byTopic.set(topicId, [...(byTopic.get(topicId) ?? []), Number(key.slice(at + 1))])
  }
  return createAssignment({
    topicPartitions: [...byTopic].map(([topicId, partitions]) =>
      createTopicPartitions({ topicId, topicName: topics.byId(topicId)?.name ?? '', partitions }),
    ),
  })
}
