/**
 * ListOffsets: latest (-1, the last stable offset under read_committed), earliest (-2, and -4, earliest
 * local, which is the same here as nothing is tiered), max timestamp (-3), or the first offset whose
 * timestamp is at or after the one given (-1 offset and timestamp when none is, as Kafka answers).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createListOffsetsPartitionResponse,
  createListOffsetsResponse,
  createListOffsetsTopicResponse,
  ListOffsets,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/list-offsets.ts'
import { defineHandler } from '../api-handler.ts'
import type { PartitionState } from '../topic-store.ts'
import { ledPartition } from './partition-lookup.ts'

const LATEST = -1n
const EARLIEST = -2n
const MAX_TIMESTAMP = -3n
const EARLIEST_LOCAL = -4n
const LATEST_TIERED = -5n

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  api: ListOffsets,
  handle(request, context) {
    return createListOffsetsResponse({
      topics: request.topics.map((wanted) => {
        const topic = context.state.topics.get(wanted.name)
        return createListOffsetsTopicResponse({
          name: wanted.name,
          partitions: wanted.partitions.map((p): ListOffsetsPartitionResponse => {
            const lookup = ledPartition(context, topic, p.partitionIndex, false)
            if (!lookup.ok) {
              return createListOffsetsPartitionResponse({
                partitionIndex: p.partitionIndex,
                errorCode: lookup.errorCode,
              })
            }
            const partition = lookup.partition
            if (p.currentLeaderEpoch !== -1 && p.currentLeaderEpoch !== partition.leaderEpoch) {
              return createListOffsetsPartitionResponse({
                partitionIndex: p.partitionIndex,
                errorCode:
                  p.currentLeaderEpoch < partition.leaderEpoch
                    ? ErrorCode.FENCED_LEADER_EPOCH
                    : ErrorCode.UNKNOWN_LEADER_EPOCH,
              })
            }
            const found = lookUp(
              partition,
              p.timestamp,
              context.state.lastStableOffset(partition, request.isolationLevel),
            )
            return createListOffsetsPartitionResponse({
              partitionIndex: p.partitionIndex,
              offset: found.offset,
              timestamp: found.timestamp,
              leaderEpoch: found.offset === -1n ? -1 : partition.leaderEpoch,
            })
          }),
        })
      }),
    })
  },
})

function lookUp(
  partition: PartitionState,
  timestamp: bigint,
  latest: bigint,
): { offset: bigint; timestamp: bigint } {
  const { log } = partition
  if (timestamp === LATEST) return { offset: latest, timestamp: -1n }
  // Nothing is tiered here, so there is no latest tiered offset, which Kafka answers with -1.
  if (timestamp === LATEST_TIERED) return { offset: -1n, timestamp: -1n }
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL)
    return { offset: log.logStartOffset, timestamp: -1n }
  if (timestamp === MAX_TIMESTAMP) return log.maxTimestamp() ?? { offset: -1n, timestamp: -1n }
  return log.offsetForTimestamp(timestamp) ?? { offset: -1n, timestamp: -1n }
}
