/**
 * IncrementalAlterConfigs: changes a topic's configs one operation at a time (SET, DELETE back to the
 * default, APPEND to and SUBTRACT from a list), all or nothing per resource. Errors per resource as Kafka:
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG (an unknown name, or APPEND/SUBTRACT on a non-list config),
 * INVALID_REQUEST for a resource type not served (broker configs are fixed here).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createAlterConfigsResourceResponse,
  createIncrementalAlterConfigsResponse,
  IncrementalAlterConfigs,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/incremental-alter-configs.ts'
import { defineHandler } from '../api-handler.ts'
import { TOPIC_CONFIG_DEFAULTS, topicConfig, unknownTopicConfig } from '../topic-configs.ts'

const TOPIC = 2
const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3
const LIST_TYPE = 7

export const incrementalAlterConfigsHandler = defineHandler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse
>({
  api: IncrementalAlterConfigs,
  handle(request, { state }) {
    return createIncrementalAlterConfigsResponse({
      responses: request.resources.map((resource) => {
        const answer = (errorCode: number, errorMessage: string | null = null) =>
          createAlterConfigsResourceResponse({
            errorCode,
            errorMessage,
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
          })
        if (resource.resourceType !== TOPIC) {
          return answer(
            ErrorCode.INVALID_REQUEST,
            'only topic configs can be altered on the in-process broker',
          )
        }
        const topic = state.topics.get(resource.resourceName)
        if (topic === undefined) {
          return answer(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            `topic '${resource.resourceName}' does not exist`,
          )
        }
        const next = new Map(topic.configs)
        for (const change of resource.configs) {
          const unknown = unknownTopicConfig(change.name)
          if (unknown !== null) return answer(ErrorCode.INVALID_CONFIG, unknown)
          const isList = TOPIC_CONFIG_DEFAULTS.get(change.name)?.type === LIST_TYPE
          if (change.configOperation === SET) next.set(change.name, change.value ?? '')
          else if (change.configOperation === DELETE) next.delete(change.name)
          else if (change.configOperation === APPEND || change.configOperation === SUBTRACT) {
            if (!isList) return answer(ErrorCode.INVALID_CONFIG, `${change.name} is not a list config`)
            const items = (topicConfig(next, change.name) ?? '').split(',').filter((x) => x !== '')
            const given = (change.value ?? '').split(',').filter((x) => x !== '')
            const result =
              change.configOperation === APPEND
                ? [...items, ...given.filter((x) => !items.includes(x))]
                : items.filter((x) => !given.includes(x))
            next.set(change.name, result.join(','))
          } else
            return answer(ErrorCode.INVALID_REQUEST, `unknown config operation ${change.configOperation}`)
        }
        if (!request.validateOnly) {
          topic.configs.clear()
          for (const [name, value] of next) topic.configs.set(name, value)
        }
        return answer(ErrorCode.NONE)
      }),
    })
  },
})
