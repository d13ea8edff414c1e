/**
 * DeleteTopics: removes each topic, by name (v1-5, and v6 when the name is given) or by id (v6). Like Kafka,
 * the group coordinator forgets the offsets committed for a deleted topic, so a topic re-created under the
 * same name starts without them. Errors per topic: UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createDeletableTopicResult,
  createDeleteTopicsResponse,
  DeleteTopics,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/messages/delete-topics.ts'
import { ZERO_UUID } from '../../protocol/messages/support.ts'
import { defineHandler } from '../api-handler.ts'

const FIRST_VERSION_WITH_IDS = 6

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  api: DeleteTopics,
  handle(request, { state, apiVersion }) {
    const wanted =
      apiVersion >= FIRST_VERSION_WITH_IDS
        ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }))
    return createDeleteTopicsResponse({
      responses: wanted.map(({ name, topicId }) => {
        const topic = name !== null ? state.topics.get(name) : state.topics.byId(topicId)
        if (topic === undefined) {
          const byId = name === null
          return createDeletableTopicResult({
            name,
            topicId,
            errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: byId ? `no topic has id ${topicId}` : `topic '${name}' does not exist`,
          })
        }
        state.topics.delete(topic.name)
        state.groups.offsets.deleteTopic(topic.name)
        return createDeletableTopicResult({ name: topic.name, topicId: topic.id })
      }),
    })
  },
})
