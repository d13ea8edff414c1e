/**
 * Fetch: the batches at and after each partition's fetch offset, as stored, up to the partition's and the
 * response's byte limits (the first batch always goes, however large, so a consumer never sticks). With less
 * than `minBytes` available it waits for an append, up to `maxWaitMs`. No fetch sessions: every response
 * carries session id 0, which tells the client to send full requests (KIP-227 allows a broker that).
 * read_committed reads stop at the last stable offset and list the aborted transactions in range.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createFetchableTopicResponse,
  createFetchResponse,
  createLeaderIdAndEpoch,
  createPartitionData,
  Fetch,
  type FetchableTopicResponse,
  type FetchPartition,
  type FetchRequest,
  type FetchResponse,
  type PartitionData,
} from '../../protocol/messages/fetch.ts'
import { defineHandler, type RequestContext } from '../api-handler.ts'
import type { PartitionState } from '../topic-store.ts'
import { findTopic, ledPartition } from './partition-lookup.ts'

const FIRST_VERSION_BY_TOPIC_ID = 13
const READ_COMMITTED = 1

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  api: Fetch,
  async handle(request, context) {
    const deadline = Date.now() + Math.max(0, request.maxWaitMs)
    for (;;) {
      const { response, bytes, failed } = readOnce(request, context)
      const remaining = deadline - Date.now()
      if (failed || bytes >= Math.max(1, request.minBytes) || remaining <= 0) return response
      await context.state.topics.waitForAppend(remaining)
    }
  },
})

function readOnce(
  request: FetchRequest,
  context: RequestContext,
): { response: FetchResponse; bytes: number; failed: boolean } {
  const byId = context.apiVersion >= FIRST_VERSION_BY_TOPIC_ID
  let budget = request.maxBytes
  let total = 0
  let failed = false
  const responses: FetchableTopicResponse[] = []
  for (const wanted of request.topics) {
    const topic = findTopic(context, wanted.topic, wanted.topicId, byId)
    const partitions: PartitionData[] = []
    for (const fetchPartition of wanted.partitions) {
      const lookup = ledPartition(context, topic, fetchPartition.partition, byId)
      if (!lookup.ok) {
        failed = true
        partitions.push(
          createPartitionData({
            partitionIndex: fetchPartition.partition,
            errorCode: lookup.errorCode,
            ...(lookup.leader === undefined
              ? {}
              : {
                  currentLeader: createLeaderIdAndEpoch({
                    leaderId: lookup.leader.leader,
                    leaderEpoch: lookup.leader.leaderEpoch,
                  }),
                }),
          }),
        )
        continue
      }
      const data = readPartition(
        context,
        request,
        lookup.partition,
        fetchPartition,
        total === 0 ? Infinity : budget,
      )
      if (data.errorCode !== ErrorCode.NONE) failed = true
      const size = data.records?.length ?? 0
      total += size
      budget = Math.max(0, budget - size)
      partitions.push(data)
    }
    responses.push(createFetchableTopicResponse({ topic: wanted.topic, topicId: wanted.topicId, partitions }))
  }
  return { response: createFetchResponse({ responses, sessionId: 0 }), bytes: total, failed }
}

function readPartition(
  context: RequestContext,
  request: FetchRequest,
  partition: PartitionState,
  wanted: FetchPartition,
  budget: number,
): PartitionData {
  const { log } = partition
  const stable = context.state.lastStableOffset(partition, request.isolationLevel)
  const base = {
    partitionIndex: wanted.partition,
    highWatermark: log.logEndOffset,
    lastStableOffset: stable,
    logStartOffset: log.logStartOffset,
    abortedTransactions: request.isolationLevel === READ_COMMITTED ? [] : null,
  }
  if (wanted.currentLeaderEpoch !== -1 && wanted.currentLeaderEpoch !== partition.leaderEpoch) {
    const errorCode =
      wanted.currentLeaderEpoch < partition.leaderEpoch
        ? ErrorCode.FENCED_LEADER_EPOCH
        : ErrorCode.UNKNOWN_LEADER_EPOCH
    return createPartitionData({ ...base, errorCode })
  }
  if (wanted.fetchOffset < log.logStartOffset || wanted.fetchOffset > log.logEndOffset) {
    return createPartitionData({ ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })
  }
  const limit = Math.min(wanted.partitionMaxBytes, budget)
  const batches = limit <= 0 ? [] : log.read(wanted.fetchOffset, limit, stable)
  return createPartitionData({ ...base, records: Buffer.concat(batches.map((batch) => batch.bytes)) })
}
