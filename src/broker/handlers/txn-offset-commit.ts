/**
 * TxnOffsetCommit: offsets a transaction commits for a group, held pending until EndTxn settles them
 * (OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT meanwhile). The member's generation (or
 * KIP-848 epoch) is checked when the producer passes it, so a zombie consumer's transaction cannot commit
 * (KIP-447). v5+ is transaction version 2 and adds the group to the transaction itself; before that the
 * transaction must have been opened (AddOffsetsToTxn), else INVALID_TXN_STATE.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createTxnOffsetCommitResponse,
  createTxnOffsetCommitResponsePartition,
  createTxnOffsetCommitResponseTopic,
  TxnOffsetCommit,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from '../../protocol/messages/txn-offset-commit.ts'
import { defineHandler, type RequestContext } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

/** Kafka's `offset.metadata.max.bytes` default. */
const MAX_METADATA_BYTES = 4096
const FIRST_VERSION_2 = 5

export const txnOffsetCommitHandler = defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  api: TxnOffsetCommit,
  handle(request, context) {
    const groupError = validate(request, context)
    const { state } = context
    return createTxnOffsetCommitResponse({
      topics: request.topics.map((t) =>
        createTxnOffsetCommitResponseTopic({
          name: t.name,
          partitions: t.partitions.map((p) => {
            let errorCode = groupError
            if (errorCode === ErrorCode.NONE) {
              if (state.topics.partition(t.name, p.partitionIndex) === undefined) {
                errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              } else if (
                p.committedMetadata !== null &&
                Buffer.byteLength(p.committedMetadata) > MAX_METADATA_BYTES
              ) {
                errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE
              } else {
                state.groups.offsets.commitPending(
                  request.producerId,
                  request.groupId,
                  t.name,
                  p.partitionIndex,
                  {
                    offset: p.committedOffset,
                    leaderEpoch: p.committedLeaderEpoch,
                    metadata: p.committedMetadata ?? '',
                  },
                )
              }
            }
            return createTxnOffsetCommitResponsePartition({ partitionIndex: p.partitionIndex, errorCode })
          }),
        }),
      ),
    })
  },
})

function validate(request: TxnOffsetCommitRequest, context: RequestContext): number {
  if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID
  if (!coordinates(context, request.groupId)) return ErrorCode.NOT_COORDINATOR
  const { groups, transactions } = context.state
  const verdict = transactions.verify(request.transactionalId, request.producerId, request.producerEpoch)
  if (verdict.producer === undefined) {
    return verdict.errorCode === ErrorCode.PRODUCER_FENCED
      ? ErrorCode.INVALID_PRODUCER_EPOCH
      : verdict.errorCode
  }
  if (context.apiVersion >= FIRST_VERSION_2) transactions.begin(verdict.producer)
  else if (verdict.producer.state !== 'Ongoing') return ErrorCode.INVALID_TXN_STATE
  if (groups.consumerGroupExists(request.groupId)) {
    if (request.generationId < 0 && request.memberId === '') return ErrorCode.NONE
    const code = groups.validateConsumerCommit(request.groupId, request.memberId, request.generationId)
    // A transactional commit with a stale epoch is ILLEGAL_GENERATION, not STALE_MEMBER_EPOCH (as Kafka).
    return code === ErrorCode.STALE_MEMBER_EPOCH ? ErrorCode.ILLEGAL_GENERATION : code
  }
  const group = groups.classic(request.groupId)
  if (group === undefined) {
    if (request.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION
    // As Kafka, a commit outside any group creates it, Empty: it is listed and described from now on.
    groups.classicOrCreate(request.groupId)
    return ErrorCode.NONE
  }
  return group.validateTransactionalCommit(request.memberId, request.groupInstanceId, request.generationId)
}
