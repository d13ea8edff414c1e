/**
 * DeleteRecords: raises each partition's log start offset to the offset given (-1: the high watermark), on
 * the node leading it, and answers with the new low watermark. An offset beyond the high watermark is
 * OFFSET_OUT_OF_RANGE, as in Kafka; one below the current start changes nothing.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createDeleteRecordsPartitionResult,
  createDeleteRecordsResponse,
  createDeleteRecordsTopicResult,
  DeleteRecords,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '../../protocol/messages/delete-records.ts'
import { defineHandler } from '../api-handler.ts'
import { ledPartition } from './partition-lookup.ts'

const HIGH_WATERMARK = -1n

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  api: DeleteRecords,
  handle(request, context) {
    const response = createDeleteRecordsResponse({
      topics: request.topics.map((wanted) => {
        const topic = context.state.topics.get(wanted.name)
        return createDeleteRecordsTopicResult({
          name: wanted.name,
          partitions: wanted.partitions.map((p) => {
            const lookup = ledPartition(context, topic, p.partitionIndex, false)
            if (!lookup.ok) {
              return createDeleteRecordsPartitionResult({
                partitionIndex: p.partitionIndex,
                lowWatermark: -1n,
                errorCode: lookup.errorCode,
              })
            }
            const { log } = lookup.partition
            const offset = p.offset === HIGH_WATERMARK ? log.logEndOffset : p.offset
            if (offset < 0n || offset > log.logEndOffset) {
              return createDeleteRecordsPartitionResult({
                partitionIndex: p.partitionIndex,
                lowWatermark: -1n,
                errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
              })
            }
            log.deleteBefore(offset)
            return createDeleteRecordsPartitionResult({
              partitionIndex: p.partitionIndex,
              lowWatermark: log.logStartOffset,
            })
          }),
        })
      }),
    })
    return response
  },
})
