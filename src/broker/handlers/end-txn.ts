/**
 * EndTxn: commits or aborts the open transaction, writing a control marker into each of its partitions and
 * applying (or dropping) its pending offsets. v5+ is transaction version 2: the epoch is bumped and returned
 * (see transactions.ts).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createEndTxnResponse,
  EndTxn,
  type EndTxnRequest,
  type EndTxnResponse,
} from '../../protocol/messages/end-txn.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

const FIRST_VERSION_2 = 5
/** Kafka's PRODUCER_FENCED is INVALID_PRODUCER_EPOCH to clients older than v2 of this API. */
const FIRST_VERSION_PRODUCER_FENCED = 2

export const endTxnHandler = defineHandler<EndTxnRequest, EndTxnResponse>({
  api: EndTxn,
  handle(request, context) {
    if (!coordinates(context, request.transactionalId)) {
      return createEndTxnResponse({ errorCode: ErrorCode.NOT_COORDINATOR })
    }
    const version2 = context.apiVersion >= FIRST_VERSION_2
    const result = context.state.transactions.end(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.committed,
      version2,
    )
    let errorCode = result.errorCode
    if (errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < FIRST_VERSION_PRODUCER_FENCED) {
      errorCode = ErrorCode.INVALID_PRODUCER_EPOCH
    }
    if (!version2) return createEndTxnResponse({ errorCode })
    return createEndTxnResponse({
      errorCode,
      producerId: result.producerId,
      producerEpoch: result.producerEpoch,
    })
  },
})
