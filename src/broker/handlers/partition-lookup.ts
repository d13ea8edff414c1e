/**
 * Finds the partition a request names (by topic name, or by topic id from the versions that use ids) and
 * checks that the node the request reached leads it, with the error code Kafka answers otherwise.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import type { RequestContext } from '../api-handler.ts'
import type { PartitionState, TopicState } from '../topic-store.ts'

export type Lookup =
  | { ok: true; topic: TopicState; partition: PartitionState }
  | { ok: false; errorCode: number; leader?: PartitionState }

export function findTopic(
  context: RequestContext,
  name: string,
  topicId: string,
  byId: boolean,
): TopicState | undefined {
  return byId ? context.state.topics.byId(topicId) : context.state.topics.get(name)
}

/** The partition, if it exists and this node leads it. */
export function ledPartition(
  context: RequestContext,
  topic: TopicState | undefined,
  index: number,
  byId: boolean,
): Lookup {
  if (topic === undefined) {
    return { ok: false, errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
  }
  const partition = topic.partitions[index]
  if (partition === undefined) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
  if (partition.leader !== context.nodeId) {
    return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leader: partition }
  }
  return { ok: true, topic, partition }
}
