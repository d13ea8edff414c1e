/**
 * InitProducerId: a fresh producer id at epoch 0 for an idempotent producer; for a transactional id, the
 * transaction coordinator keeps one producer id per transactional id and bumps its epoch on every call,
 * which fences the previous instance (see transactions.ts).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createInitProducerIdResponse,
  InitProducerId,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id.ts'
import { defineHandler } from '../api-handler.ts'

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  api: InitProducerId,
  handle(request, { state }) {
    if (request.transactionalId === null) {
      return createInitProducerIdResponse({ producerId: state.allocateProducerId(), producerEpoch: 0 })
    }
    const result = state.transactions.initProducer(request.transactionalId, request.transactionTimeoutMs)
    if (result.errorCode !== ErrorCode.NONE)
      return createInitProducerIdResponse({ errorCode: result.errorCode })
    return createInitProducerIdResponse({
      producerId: result.producerId,
      producerEpoch: result.producerEpoch,
    })
  },
})
