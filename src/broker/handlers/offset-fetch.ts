/**
 * OffsetFetch: the committed offsets of a group (all partitions it has offsets for when the topic list is
 * null), -1 where none is committed. One group up to v7, a list from v8, topics by id from v10. With
 * requireStable, a partition whose offset an open transaction holds answers UNSTABLE_OFFSET_COMMIT so the
 * consumer retries (KIP-447). From v9 a KIP-848 member's id and epoch are checked when given.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createOffsetFetchResponse,
  createOffsetFetchResponseGroup,
  createOffsetFetchResponsePartition,
  createOffsetFetchResponsePartitions,
  createOffsetFetchResponseTopic,
  createOffsetFetchResponseTopics,
  OffsetFetch,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../protocol/messages/offset-fetch.ts'
import { defineHandler, type RequestContext } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

const FIRST_BATCHED_VERSION = 8
const FIRST_VERSION_BY_TOPIC_ID = 10

interface Wanted {
  name: string
  topicId: string
  partitionIndexes: number[]
}

interface Found {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  api: OffsetFetch,
  handle(request, context) {
    if (context.apiVersion < FIRST_BATCHED_VERSION) {
      const wanted = request.topics?.map((t) => ({
        name: t.name,
        topicId: '',
        partitionIndexes: t.partitionIndexes,
      }))
      const { errorCode, topics } = lookUp(
        context,
        request.groupId,
        wanted ?? null,
        request.requireStable,
        null,
        -1,
      )
      return createOffsetFetchResponse({
        errorCode,
        topics: topics.map((t) =>
          createOffsetFetchResponseTopic({
            name: t.name,
            partitions: t.partitions.map((p) => createOffsetFetchResponsePartition(p)),
          }),
        ),
      })
    }
    return createOffsetFetchResponse({
      groups: request.groups.map((g) => {
        const { errorCode, topics } = lookUp(
          context,
          g.groupId,
          g.topics,
          request.requireStable,
          g.memberId,
          g.memberEpoch,
        )
        return createOffsetFetchResponseGroup({
          groupId: g.groupId,
          errorCode,
          topics: topics.map((t) =>
            createOffsetFetchResponseTopics({
              name: t.name,
              topicId: t.topicId,
              partitions: t.partitions.map((p) => createOffsetFetchResponsePartitions(p)),
            }),
          ),
        })
      }),
    })
  },
})

function lookUp(
  context: RequestContext,
  groupId: string,
  wanted: Wanted[] | null,
  requireStable: boolean,
  memberId: string | null,
  memberEpoch: number,
): { errorCode: number; topics: { name: string; topicId: string; partitions: Found[] }[] } {
  if (!coordinates(context, groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] }
  const { groups, topics: store } = context.state
  if (memberId !== null && memberEpoch >= 0 && groups.consumerGroupExists(groupId)) {
    const errorCode = groups.validateConsumerCommit(groupId, memberId, memberEpoch)
    if (errorCode !== ErrorCode.NONE) return { errorCode, topics: [] }
  }
  const byId = context.apiVersion >= FIRST_VERSION_BY_TOPIC_ID
  let asked = wanted
  if (asked === null) {
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of groups.offsets.partitions(groupId)) {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
    }
    asked = [...byTopic].map(([name, partitionIndexes]) => ({
      name,
      topicId: store.get(name)?.id ?? '',
      partitionIndexes,
    }))
  }
  return {
    errorCode: ErrorCode.NONE,
    topics: asked.map((t) => {
      const name = byId && t.topicId !== '' ? (store.byId(t.topicId)?.name ?? t.name) : t.name
      return {
        name,
        topicId:
          t.topicId === '' ? (store.get(name)?.id ?? '00000000-0000-0000-0000-000000000000') : t.topicId,
        partitions: t.partitionIndexes.map((partitionIndex): Found => {
          if (requireStable && groups.offsets.isPending(groupId, name, partitionIndex)) {
            return {
              partitionIndex,
              committedOffset: -1n,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
            }
          }
          const committed = groups.offsets.get(groupId, name, partitionIndex)
          return {
            partitionIndex,
            committedOffset: committed?.offset ?? -1n,
            committedLeaderEpoch: committed?.leaderEpoch ?? -1,
            metadata: committed?.metadata ?? '',
            errorCode: ErrorCode.NONE,
          }
        }),
      }
    }),
  }
}
