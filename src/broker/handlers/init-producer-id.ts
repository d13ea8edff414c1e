/**
 * InitProducerId: a fresh producer id at epoch 0 for an idempotent producer (also when it passes its old id
 * and epoch, as Kafka answers a producer without a transactional id); for a transactional id, the transaction coordinator keeps one
 * producer id per transactional id and bumps its epoch on every call, which fences the previous instance
 * and aborts its open transaction (see transactions.ts).
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createInitProducerIdResponse,
  InitProducerId,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  api: InitProducerId,
  // v6 (KIP-939, two-phase commit) is in the schemas but a Kafka 4.3 broker does not serve it yet.
  maxVersion: 5,
  handle(request, context) {
    const { state } = context
    if (request.transactionalId === null) {
      return createInitProducerIdResponse({ producerId: state.allocateProducerId(), producerEpoch: 0 })
    }
    if (!coordinates(context, request.transactionalId)) {
      return createInitProducerIdResponse({ errorCode: ErrorCode.NOT_COORDINATOR })
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
