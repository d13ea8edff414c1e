/**
 * OffsetCommit: stores offsets (with leader epoch and metadata) for a group after checking the committer,
 * as Kafka's OffsetMetadataManager does: a commit with generation -1 to an empty or unknown group is a
 * "simple" commit and accepted; a classic member must be known and at the group's generation; a KIP-848
 * member must be known and at its current member epoch (STALE_MEMBER_EPOCH otherwise). An unknown group with
 * a generation >= 0 is GROUP_ID_NOT_FOUND from v9, ILLEGAL_GENERATION before.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createOffsetCommitResponse,
  createOffsetCommitResponsePartition,
  createOffsetCommitResponseTopic,
  OffsetCommit,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../protocol/messages/offset-commit.ts'
import { defineHandler, type RequestContext } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

/** Kafka's `offset.metadata.max.bytes` default. */
const MAX_METADATA_BYTES = 4096
const FIRST_VERSION_BY_TOPIC_ID = 10
const FIRST_VERSION_GROUP_ID_NOT_FOUND = 9

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  api: OffsetCommit,
  handle(request, context) {
    const groupError = validate(request, context)
    const byId = context.apiVersion >= FIRST_VERSION_BY_TOPIC_ID
    return createOffsetCommitResponse({
      topics: request.topics.map((t) => {
        const topic = byId ? context.state.topics.byId(t.topicId) : context.state.topics.get(t.name)
        return createOffsetCommitResponseTopic({
          name: t.name,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            let errorCode = groupError
            if (errorCode === ErrorCode.NONE) {
              if (topic === undefined || topic.partitions[p.partitionIndex] === undefined) {
                errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              } else if (
                p.committedMetadata !== null &&
                Buffer.byteLength(p.committedMetadata) > MAX_METADATA_BYTES
              ) {
                errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE
              } else {
                context.state.groups.offsets.commit(request.groupId, topic.name, p.partitionIndex, {
                  offset: p.committedOffset,
                  leaderEpoch: p.committedLeaderEpoch,
                  metadata: p.committedMetadata ?? '',
                })
              }
            }
            return createOffsetCommitResponsePartition({ partitionIndex: p.partitionIndex, errorCode })
          }),
        })
      }),
    })
  },
})

function validate(request: OffsetCommitRequest, context: RequestContext): number {
  if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID
  if (!coordinates(context, request.groupId)) return ErrorCode.NOT_COORDINATOR
  const { groups } = context.state
  if (groups.consumerGroupExists(request.groupId)) {
    return groups.validateConsumerCommit(request.groupId, request.memberId, request.generationIdOrMemberEpoch)
  }
  const group = groups.classic(request.groupId)
  if (group === undefined) {
    if (request.generationIdOrMemberEpoch < 0) {
      // A simple (admin or assign()) commit creates the group, Empty, as Kafka does.
      groups.classicOrCreate(request.groupId)
      return ErrorCode.NONE
    }
    return context.apiVersion >= FIRST_VERSION_GROUP_ID_NOT_FOUND
      ? ErrorCode.GROUP_ID_NOT_FOUND
      : ErrorCode.ILLEGAL_GENERATION
  }
  return group.validateCommit(request.memberId, request.generationIdOrMemberEpoch)
}
