/**
 * Metadata: the nodes, the controller (the first node), and the topics asked for (all of them when the list
 * is null, or empty at v0), each partition led by one node with itself as the only replica. A topic not
 * known is created when both the request and the cluster allow auto-creation, else UNKNOWN_TOPIC_OR_PARTITION.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createMetadataResponse,
  createMetadataResponseBroker,
  createMetadataResponsePartition,
  createMetadataResponseTopic,
  Metadata,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../../protocol/messages/metadata.ts'
import { ZERO_UUID } from '../../protocol/messages/support.ts'
import { defineHandler } from '../api-handler.ts'
import type { BrokerState } from '../broker-state.ts'
import { type TopicState, TopicStore } from '../topic-store.ts'

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  api: Metadata,
  handle(request, context) {
    const { state } = context
    const wantsAll = request.topics === null || (context.apiVersion === 0 && request.topics.length === 0)
    const topics: MetadataResponseTopic[] = []
    if (wantsAll) {
      for (const topic of state.topics.all()) topics.push(describeTopic(topic))
    } else {
      for (const wanted of request.topics ?? []) {
        const byId = wanted.name === null && wanted.topicId !== ZERO_UUID
        let topic = byId ? state.topics.byId(wanted.topicId) : state.topics.get(wanted.name ?? '')
        if (
          topic === undefined &&
          !byId &&
          wanted.name !== null &&
          mayAutoCreate(state, request, context.apiVersion)
        ) {
          if (TopicStore.invalidName(wanted.name) === null) {
            topic = state.topics.create(wanted.name, state.settings.defaultPartitions)
          }
        }
        topics.push(
          topic === undefined
            ? createMetadataResponseTopic({
                name: wanted.name,
                topicId: wanted.topicId,
                errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              })
            : describeTopic(topic),
        )
      }
    }
    return createMetadataResponse({
      brokers: state.nodes.map((node) =>
        createMetadataResponseBroker({ nodeId: node.nodeId, host: node.host, port: node.port }),
      ),
      clusterId: state.clusterId,
      controllerId: state.nodes[0]!.nodeId,
      topics,
    })
  },
})

function mayAutoCreate(state: BrokerState, request: MetadataRequest, version: number): boolean {
  return state.settings.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation)
}

function describeTopic(topic: TopicState): MetadataResponseTopic {
  return createMetadataResponseTopic({
    name: topic.name,
    topicId: topic.id,
    isInternal: false,
    partitions: topic.partitions.map((partition) =>
      createMetadataResponsePartition({
        partitionIndex: partition.index,
        leaderId: partition.leader,
        leaderEpoch: partition.leaderEpoch,
        replicaNodes: [partition.leader],
        isrNodes: [partition.leader],
      }),
    ),
  })
}
