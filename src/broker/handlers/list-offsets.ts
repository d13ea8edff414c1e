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
const FIRST_VERSION_WITH_EPOCH = 4

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  api: ListOffsets,
  async handle(request, context) {
    return createListOffsetsResponse({
      topics: await Promise.all(
        request.topics.map(async (wanted) => {
          const topic = context.state.topics.get(wanted.name)
          return createListOffsetsTopicResponse({
            name: wanted.name,
            partitions: await Promise.all(
              wanted.partitions.map(async (p): Promise<ListOffsetsPartitionResponse> => {
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
                const found = await lookUp(
                  partition,
                  p.timestamp,
                  context.state.lastStableOffset(partition, request.isolationLevel),
                )
                return createListOffsetsPartitionResponse({
                  partitionIndex: p.partitionIndex,
                  offset: found.offset,
                  timestamp: found.timestamp,
                  // v4+ (KIP-320); earlier versions cannot carry it. As Kafka: the current epoch for the
                  // latest offset, else the epoch the found offset was written in, which is what a client
                  // validating that position after a leader change must ask OffsetForLeaderEpoch about.
                  leaderEpoch:
                    found.offset === -1n || context.apiVersion < FIRST_VERSION_WITH_EPOCH
                      ? -1
                      : p.timestamp === LATEST
                        ? partition.leaderEpoch
                        : partition.log.epochAt(found.offset),
                })
              }),
            ),
          })
        }),
      ),
    })
  },
})

async function lookUp(
  partition: PartitionState,
  timestamp: bigint,
  latest: bigint,
): Promise<{ offset: bigint; timestamp: bigint }> {
  const { log } = partition
  if (timestamp === LATEST) return { offset: latest, timestamp: -1n }
  // Nothing is tiered here, so there is no latest tiered offset, which Kafka answers with -1.
  if (timestamp === LATEST_TIERED) return { offset: -1n, timestamp: -1n }
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL)
    return { offset: log.logStartOffset, timestamp: -1n }
  if (timestamp === MAX_TIMESTAMP) return (await log.maxTimestamp()) ?? { offset: -1n, timestamp: -1n }
  return (await log.offsetForTimestamp(timestamp)) ?? { offset: -1n, timestamp: -1n }
}
