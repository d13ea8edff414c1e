/**
 * DescribeConfigs: a topic's configs (those set at creation as DYNAMIC_TOPIC_CONFIG, the rest of the known
 * ones at Kafka's defaults, see topic-configs.ts) and a node's few broker settings. Errors per resource:
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST for a resource type not served.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createDescribeConfigsResourceResult,
  createDescribeConfigsResponse,
  createDescribeConfigsResult,
  DescribeConfigs,
  type DescribeConfigsRequest,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
} from '../../protocol/messages/describe-configs.ts'
import { defineHandler } from '../api-handler.ts'
import type { BrokerState } from '../broker-state.ts'
import { TOPIC_CONFIG_DEFAULTS } from '../topic-configs.ts'

const TOPIC = 2
const BROKER = 4
/** ConfigSource values. */
const DYNAMIC_TOPIC_CONFIG = 1
const STATIC_BROKER_CONFIG = 4
const DEFAULT_CONFIG = 5

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  api: DescribeConfigs,
  handle(request, { state }) {
    return createDescribeConfigsResponse({
      results: request.resources.map((resource) => {
        const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
        let configs: DescribeConfigsResourceResult[]
        if (resource.resourceType === TOPIC) {
          const topic = state.topics.get(resource.resourceName)
          if (topic === undefined) {
            return createDescribeConfigsResult({
              ...base,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: `topic '${resource.resourceName}' does not exist`,
            })
          }
          const names = new Set([...TOPIC_CONFIG_DEFAULTS.keys(), ...topic.configs.keys()])
          configs = [...names].sort().map((name) => {
            const set = topic.configs.get(name)
            return entry(
              name,
              set ?? TOPIC_CONFIG_DEFAULTS.get(name)!.value,
              set === undefined ? DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG,
              TOPIC_CONFIG_DEFAULTS.get(name)?.type ?? 2,
            )
          })
        } else if (resource.resourceType === BROKER) {
          configs = brokerConfigs(state)
        } else {
          return createDescribeConfigsResult({
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `resource type ${resource.resourceType} is not served by the in-process broker`,
          })
        }
        const keys = resource.configurationKeys
        return createDescribeConfigsResult({
          ...base,
          configs: keys === null ? configs : configs.filter((c) => keys.includes(c.name)),
        })
      }),
    })
  },
})

function brokerConfigs(state: BrokerState): DescribeConfigsResourceResult[] {
  const { settings } = state
  return [
    entry('auto.create.topics.enable', String(settings.autoCreateTopics), STATIC_BROKER_CONFIG, 1),
    entry('num.partitions', String(settings.defaultPartitions), STATIC_BROKER_CONFIG, 3),
    entry('socket.request.max.bytes', String(settings.maxRequestBytes), STATIC_BROKER_CONFIG, 3),
  ]
}

function entry(name: string, value: string, source: number, type: number): DescribeConfigsResourceResult {
  return createDescribeConfigsResourceResult({
    name,
    value,
    readOnly: source !== DYNAMIC_TOPIC_CONFIG && source !== DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    configType: type,
  })
}
