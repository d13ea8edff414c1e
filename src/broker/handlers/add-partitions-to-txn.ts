/**
 * AddPartitionsToTxn (v0-3, the client form; v4+ is the brokers' verification call and not served):
 * transaction version 1 producers register each partition before writing to it. Opens the transaction if
 * none is. Errors per partition as Kafka: the coordinator's (NOT_COORDINATOR, INVALID_PRODUCER_ID_MAPPING,
 * PRODUCER_FENCED) for every one; an unknown partition fails with UNKNOWN_TOPIC_OR_PARTITION and the rest
 * with OPERATION_NOT_ATTEMPTED.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  AddPartitionsToTxn,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  createAddPartitionsToTxnPartitionResult,
  createAddPartitionsToTxnResponse,
  createAddPartitionsToTxnTopicResult,
} from '../../protocol/messages/add-partitions-to-txn.ts'
import { defineHandler } from '../api-handler.ts'
import type { PartitionState } from '../topic-store.ts'
import { coordinates } from './coordinator-check.ts'

const LAST_CLIENT_VERSION = 3
/** Kafka's PRODUCER_FENCED is INVALID_PRODUCER_EPOCH to clients older than v2 of this API. */
const FIRST_VERSION_PRODUCER_FENCED = 2

export const addPartitionsToTxnHandler = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(
  {
    api: AddPartitionsToTxn,
    maxVersion: LAST_CLIENT_VERSION,
    handle(request, context) {
      const { state } = context
      const transactionalId = request.v3AndBelowTransactionalId
      let errorCode: number = ErrorCode.NONE
      const found: PartitionState[] = []
      let unknown = false
      for (const topic of request.v3AndBelowTopics) {
        for (const index of topic.partitions) {
          const partition = state.topics.partition(topic.name, index)
          if (partition === undefined) unknown = true
          else found.push(partition)
        }
      }
      if (!coordinates(context, transactionalId)) errorCode = ErrorCode.NOT_COORDINATOR
      else {
        const verdict = state.transactions.verify(
          transactionalId,
          request.v3AndBelowProducerId,
          request.v3AndBelowProducerEpoch,
        )
        errorCode = verdict.errorCode
        if (errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < FIRST_VERSION_PRODUCER_FENCED) {
          errorCode = ErrorCode.INVALID_PRODUCER_EPOCH
        }
        if (verdict.producer !== undefined && !unknown) {
          state.transactions.begin(verdict.producer)
          for (const partition of found) verdict.producer.partitions.add(partition)
        }
      }
      return createAddPartitionsToTxnResponse({
        resultsByTopicV3AndBelow: request.v3AndBelowTopics.map((topic) =>
          createAddPartitionsToTxnTopicResult({
            name: topic.name,
            resultsByPartition: topic.partitions.map((partitionIndex) => {
              let code = errorCode
              if (code === ErrorCode.NONE && unknown) {
                code =
                  state.topics.partition(topic.name, partitionIndex) === undefined
                    ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                    : ErrorCode.OPERATION_NOT_ATTEMPTED
              }
              return createAddPartitionsToTxnPartitionResult({ partitionIndex, partitionErrorCode: code })
            }),
          }),
        ),
      })
    },
  },
)
