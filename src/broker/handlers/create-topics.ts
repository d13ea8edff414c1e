/**
 * CreateTopics: creates each topic with its partition count (-1 takes the cluster default) and the configs
 * given. Every partition has one replica, so any replication factor up to the node count is accepted and
 * reported back as asked. Errors per topic, as Kafka: TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION,
 * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  type CreatableTopicResult,
  CreateTopics,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  createCreatableTopicResult,
  createCreateTopicsResponse,
} from '../../protocol/messages/create-topics.ts'
import { defineHandler } from '../api-handler.ts'
import { unknownTopicConfig } from '../topic-configs.ts'
import { TopicStore } from '../topic-store.ts'

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  api: CreateTopics,
  handle(request, { state }) {
    const results: CreatableTopicResult[] = []
    for (const wanted of request.topics) {
      const fail = (errorCode: number, errorMessage: string): void => {
        results.push(createCreatableTopicResult({ name: wanted.name, errorCode, errorMessage }))
      }
      const invalid = TopicStore.invalidName(wanted.name)
      const partitions = wanted.numPartitions === -1 ? state.settings.defaultPartitions : wanted.numPartitions
      const replication = wanted.replicationFactor === -1 ? 1 : wanted.replicationFactor
      if (invalid !== null) fail(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid)
      else if (state.topics.get(wanted.name) !== undefined) {
        fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${wanted.name}' already exists.`)
      } else if (partitions < 1)
        fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.')
      else if (replication < 1 || replication > state.nodes.length) {
        fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Replication factor: ${replication} larger than available brokers: ${state.nodes.length}.`,
        )
      } else if (wanted.configs.some((c) => unknownTopicConfig(c.name) !== null)) {
        fail(
          ErrorCode.INVALID_CONFIG,
          unknownTopicConfig(wanted.configs.find((c) => unknownTopicConfig(c.name))!.name)!,
        )
      } else {
        const configs = new Map<string, string>()
        for (const config of wanted.configs) if (config.value !== null) configs.set(config.name, config.value)
        const topicId = request.validateOnly
          ? undefined
          : state.topics.create(wanted.name, partitions, configs).id
        results.push(
          createCreatableTopicResult({
            name: wanted.name,
            ...(topicId === undefined ? {} : { topicId }),
            numPartitions: partitions,
            replicationFactor: replication,
            configs: [],
          }),
        )
      }
    }
    return createCreateTopicsResponse({ topics: results })
  },
})
