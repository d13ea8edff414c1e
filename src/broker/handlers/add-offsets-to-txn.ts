/**
 * AddOffsetsToTxn: a transaction version 1 producer announces that the transaction will commit offsets for
 * a group (TxnOffsetCommit to the group coordinator follows). Opens the transaction if none is.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  AddOffsetsToTxn,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  createAddOffsetsToTxnResponse,
} from '../../protocol/messages/add-offsets-to-txn.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

/** Kafka's PRODUCER_FENCED is INVALID_PRODUCER_EPOCH to clients older than v2 of this API. */
const FIRST_VERSION_PRODUCER_FENCED = 2

export const addOffsetsToTxnHandler = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  api: AddOffsetsToTxn,
  handle(request, context) {
    if (!coordinates(context, request.transactionalId)) {
      return createAddOffsetsToTxnResponse({ errorCode: ErrorCode.NOT_COORDINATOR })
    }
    if (request.groupId === '')
      return createAddOffsetsToTxnResponse({ errorCode: ErrorCode.INVALID_GROUP_ID })
    const verdict = context.state.transactions.verify(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
    )
    if (verdict.producer !== undefined) context.state.transactions.begin(verdict.producer)
    let errorCode = verdict.errorCode
    if (errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < FIRST_VERSION_PRODUCER_FENCED) {
      errorCode = ErrorCode.INVALID_PRODUCER_EPOCH
    }
    return createAddOffsetsToTxnResponse({ errorCode })
  },
})
