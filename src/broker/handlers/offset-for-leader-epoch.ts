/**
 * OffsetForLeaderEpoch: for each partition, the end offset of the leader epoch asked about (the largest
 * epoch at or below it), from the log's epoch history. A consumer validating its position after a leader
 * change (KIP-320) compares that end offset with its own position to detect a truncated log. The current
 * leader epoch the client sends is checked first: FENCED_LEADER_EPOCH if older, UNKNOWN_LEADER_EPOCH if newer.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createEpochEndOffset,
  createOffsetForLeaderEpochResponse,
  createOffsetForLeaderTopicResult,
  OffsetForLeaderEpoch,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/messages/offset-for-leader-epoch.ts'
import { defineHandler } from '../api-handler.ts'
import { ledPartition } from './partition-lookup.ts'

export const offsetForLeaderEpochHandler = defineHandler<
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse
>({
  api: OffsetForLeaderEpoch,
  handle(request, context) {
    return createOffsetForLeaderEpochResponse({
      topics: request.topics.map((wanted) => {
        const topic = context.state.topics.get(wanted.topic)
        return createOffsetForLeaderTopicResult({
          topic: wanted.topic,
          partitions: wanted.partitions.map((p) => {
            const fail = (errorCode: number) =>
              createEpochEndOffset({ partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1n })
            const lookup = ledPartition(context, topic, p.partition, false)
            if (!lookup.ok) return fail(lookup.errorCode)
            const partition = lookup.partition
            if (p.currentLeaderEpoch !== -1 && p.currentLeaderEpoch < partition.leaderEpoch) {
              return fail(ErrorCode.FENCED_LEADER_EPOCH)
            }
            if (p.currentLeaderEpoch > partition.leaderEpoch) return fail(ErrorCode.UNKNOWN_LEADER_EPOCH)
            const found = partition.log.endOffsetFor(p.leaderEpoch)
            return createEpochEndOffset({
              partition: p.partition,
              leaderEpoch: found.epoch,
              endOffset: found.endOffset,
            })
          }),
        })
      }),
    })
  },
})
