/**
 * Produce: checks and appends each partition's batches on the node leading it, answering with the base
 * offset of the first (and, on a LogAppendTime topic, the time it stamped them with). A partition fails as a whole (nothing appended) on a corrupt batch, a batch above the
 * topic's `max.message.bytes`, or a refused producer sequence. acks=0 gets no response at all.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createLeaderIdAndEpoch,
  createPartitionProduceResponse,
  createProduceResponse,
  createTopicProduceResponse,
  type PartitionProduceResponse,
  Produce,
  type ProduceRequest,
  type ProduceResponse,
  type TopicProduceResponse,
} from '../../protocol/messages/produce.ts'
import { defineHandler, type RequestContext } from '../api-handler.ts'
import { splitIncomingRecords } from '../incoming-records.ts'
import type { IncomingBatch } from '../partition-log.ts'
import type { PartitionState } from '../topic-store.ts'
import { findTopic, ledPartition } from './partition-lookup.ts'

/** Kafka's default `max.message.bytes` (1 MiB plus the batch overhead). */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
const FIRST_VERSION_BY_TOPIC_ID = 13
/** Produce v12+ means transaction version 2 (KIP-890): the broker adds the partition to the transaction. */
const FIRST_VERSION_2 = 12

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  api: Produce,
  handle(request, context) {
    const byId = context.apiVersion >= FIRST_VERSION_BY_TOPIC_ID
    const responses: TopicProduceResponse[] = []
    for (const topicData of request.topicData) {
      const topic = findTopic(context, topicData.name, topicData.topicId, byId)
      const partitionResponses: PartitionProduceResponse[] = []
      for (const data of topicData.partitionData) {
        const lookup = ledPartition(context, topic, data.index, byId)
        if (!lookup.ok) {
          partitionResponses.push(
            createPartitionProduceResponse({
              index: data.index,
              errorCode: lookup.errorCode,
              ...(lookup.leader === undefined ? {} : { currentLeader: leaderOf(lookup.leader) }),
            }),
          )
          continue
        }
        partitionResponses.push(
          appendToPartition(context, request, lookup.partition, data.index, data.records),
        )
      }
      responses.push(
        createTopicProduceResponse({ name: topicData.name, topicId: topicData.topicId, partitionResponses }),
      )
    }
    context.state.topics.notifyAppend()
    return request.acks === 0 ? undefined : createProduceResponse({ responses })
  },
})

function appendToPartition(
  context: RequestContext,
  request: ProduceRequest,
  partition: PartitionState,
  index: number,
  records: Buffer | null,
): PartitionProduceResponse {
  const fail = (errorCode: number, errorMessage: string | null = null): PartitionProduceResponse =>
    createPartitionProduceResponse({
      index,
      errorCode,
      errorMessage,
      logStartOffset: partition.log.logStartOffset,
    })
  if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1)
    return fail(ErrorCode.INVALID_REQUIRED_ACKS)
  const split = splitIncomingRecords(records)
  if (!split.ok) return fail(split.errorCode, split.message)
  const topic = context.state.topics.get(partition.topic)
  const limit = Number(topic?.configs.get('max.message.bytes') ?? DEFAULT_MAX_MESSAGE_BYTES)
  // A LogAppendTime topic stamps every batch of this request with the broker's time (its clock, which tests
  // may advance), and the answer says which.
  const logAppendTime =
    topic?.configs.get('message.timestamp.type') === 'LogAppendTime'
      ? BigInt(context.state.clock.now())
      : undefined
  for (const batch of split.batches) {
    if (batch.bytes.length > limit) {
      return fail(
        ErrorCode.MESSAGE_TOO_LARGE,
        `a batch of ${batch.bytes.length} bytes exceeds max.message.bytes ${limit}`,
      )
    }
  }
  // Every batch is checked before any is appended, so a refused one leaves the partition as it was.
  for (const batch of split.batches) {
    if (!batch.transactional) continue
    const errorCode = verifyTransactional(context, request, partition, batch)
    if (errorCode !== ErrorCode.NONE) return fail(errorCode)
  }
  let firstOffset: bigint | undefined
  for (const batch of split.batches) {
    const verdict = partition.producers.check(batch)
    if (verdict.kind === 'refuse') return fail(verdict.errorCode, verdict.message)
    if (verdict.kind === 'duplicate') firstOffset ??= verdict.baseOffset
  }
  for (const batch of split.batches) {
    const verdict = partition.producers.check(batch)
    if (verdict.kind !== 'append') continue
    const stored = partition.log.append(batch, partition.leaderEpoch, logAppendTime)
    partition.producers.appended(batch, stored.baseOffset)
    if (batch.transactional) partition.transactions.appended(batch.producerId, stored.baseOffset)
    firstOffset ??= stored.baseOffset
  }
  return createPartitionProduceResponse({
    index,
    baseOffset: firstOffset ?? -1n,
    logAppendTimeMs: logAppendTime ?? -1n,
    logStartOffset: partition.log.logStartOffset,
  })
}

/**
 * A transactional batch must come from the current epoch of its transactional id (else
 * INVALID_PRODUCER_EPOCH, the fencing answer of Produce). From v12 (transaction version 2) the partition
 * joins the transaction here; before, it must have been added with AddPartitionsToTxn, else
 * INVALID_TXN_STATE (Kafka's transaction verification, KIP-890 part 1).
 */
function verifyTransactional(
  context: RequestContext,
  request: ProduceRequest,
  partition: PartitionState,
  batch: IncomingBatch,
): number {
  if (batch.control) return ErrorCode.INVALID_RECORD
  const { transactions } = context.state
  const verdict = transactions.verify(request.transactionalId, batch.producerId, batch.producerEpoch)
  if (verdict.producer === undefined) {
    return verdict.errorCode === ErrorCode.PRODUCER_FENCED
      ? ErrorCode.INVALID_PRODUCER_EPOCH
      : verdict.errorCode
  }
  if (context.apiVersion >= FIRST_VERSION_2) {
    transactions.begin(verdict.producer)
    verdict.producer.partitions.add(partition)
    return ErrorCode.NONE
  }
  if (verdict.producer.state !== 'Ongoing' || !verdict.producer.partitions.has(partition)) {
    return ErrorCode.INVALID_TXN_STATE
  }
  return ErrorCode.NONE
}

function leaderOf(partition: PartitionState) {
  return createLeaderIdAndEpoch({ leaderId: partition.leader, leaderEpoch: partition.leaderEpoch })
}
