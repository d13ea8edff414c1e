/**
 * Fetch: the batches at and after each partition's fetch offset, as stored, up to the partition's and the
 * response's byte limits (the first batch always goes, however large, so a consumer never sticks). With less
 * than `minBytes` available it waits for an append, up to `maxWaitMs`; as Kafka, it answers at once when
 * `minBytes` is 0 or a partition failed or diverged (waiting would change neither). No fetch sessions: every
 * response carries session id 0, which tells the client to send full requests (KIP-227 allows a broker that).
 * read_committed reads stop at the last stable offset and list the aborted transactions in range.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createAbortedTransaction,
  createEpochEndOffset,
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
      const { response, bytes, answerNow } = readOnce(request, context)
      const remaining = deadline - Date.now()
      if (answerNow || bytes >= request.minBytes || remaining <= 0) return response
      await context.state.topics.waitForAppend(remaining)
    }
  },
})

function readOnce(
  request: FetchRequest,
  context: RequestContext,
): { response: FetchResponse; bytes: number; answerNow: boolean } {
  const byId = context.apiVersion >= FIRST_VERSION_BY_TOPIC_ID
  let budget = request.maxBytes
  let total = 0
  /** A partition failed or diverged: Kafka answers such a fetch without waiting for more bytes. */
  let answerNow = false
  const responses: FetchableTopicResponse[] = []
  for (const wanted of request.topics) {
    const topic = findTopic(context, wanted.topic, wanted.topicId, byId)
    const partitions: PartitionData[] = []
    for (const fetchPartition of wanted.partitions) {
      const lookup = ledPartition(context, topic, fetchPartition.partition, byId)
      if (!lookup.ok) {
        answerNow = true
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
      const data = readPartition(context, request, lookup.partition, fetchPartition, budget, total === 0)
      if (data.errorCode !== ErrorCode.NONE || data.divergingEpoch.endOffset >= 0n) answerNow = true
      const size = data.records?.length ?? 0
      total += size
      budget = Math.max(0, budget - size)
      partitions.push(data)
    }
    responses.push(createFetchableTopicResponse({ topic: wanted.topic, topicId: wanted.topicId, partitions }))
  }
  return { response: createFetchResponse({ responses, sessionId: 0 }), bytes: total, answerNow }
}

function readPartition(
  context: RequestContext,
  request: FetchRequest,
  partition: PartitionState,
  wanted: FetchPartition,
  budget: number,
  /** True until a partition of this response has returned data: its first batch goes whatever its size. */
  firstAlways: boolean,
): PartitionData {
  const { log } = partition
  const stable = context.state.lastStableOffset(partition, request.isolationLevel)
  const base = {
    partitionIndex: wanted.partition,
    highWatermark: log.logEndOffset,
    lastStableOffset: partition.transactions.lastStableOffset(log.logEndOffset),
    logStartOffset: log.logStartOffset,
    abortedTransactions: null,
  }
  if (wanted.currentLeaderEpoch !== -1 && wanted.currentLeaderEpoch !== partition.leaderEpoch) {
    const errorCode =
      wanted.currentLeaderEpoch < partition.leaderEpoch
        ? ErrorCode.FENCED_LEADER_EPOCH
        : ErrorCode.UNKNOWN_LEADER_EPOCH
    return createPartitionData({ ...base, errorCode })
  }
  if (wanted.lastFetchedEpoch >= 0) {
    // KIP-320 from v12: if the epoch the client last fetched ended before its fetch offset, the log it read
    // has diverged from this one; the response names where, and carries no records.
    // The test is Kafka's (Partition.fetchRecords).
    const end = log.endOffsetFor(wanted.lastFetchedEpoch)
    if (end.epoch < wanted.lastFetchedEpoch || end.endOffset < wanted.fetchOffset) {
      return createPartitionData({
        ...base,
        divergingEpoch: createEpochEndOffset({ epoch: end.epoch, endOffset: end.endOffset }),
      })
    }
  }
  if (wanted.fetchOffset < log.logStartOffset || wanted.fetchOffset > log.logEndOffset) {
    return createPartitionData({ ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })
  }
  const limit = Math.min(wanted.partitionMaxBytes, budget)
  const batches = log.read(wanted.fetchOffset, limit, stable, firstAlways)
  const records = Buffer.concat(batches.map((batch) => batch.bytes))
  if (request.isolationLevel !== READ_COMMITTED) return createPartitionData({ ...base, records })
  // The aborted transactions among the records returned, so a read_committed consumer can skip theirs.
  const upTo = batches.length === 0 ? wanted.fetchOffset : batches[batches.length - 1]!.lastOffset + 1n
  const abortedTransactions = partition.transactions
    .abortedBetween(wanted.fetchOffset, upTo)
    .map((range) =>
      createAbortedTransaction({ producerId: range.producerId, firstOffset: range.firstOffset }),
    )
  return createPartitionData({ ...base, abortedTransactions, records })
}
