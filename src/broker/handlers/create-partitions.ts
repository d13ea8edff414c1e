/**
 * CreatePartitions: grows each topic to the count asked, the new partitions' leaders continuing the
 * round-robin placement. Kafka's errors per topic: UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (a count
 * not above the current one), INVALID_REPLICA_ASSIGNMENT (assignments naming unknown nodes or the wrong
 * number of partitions). Explicit assignments are checked but placement stays round-robin: every partition
 * has one replica here.
 */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  CreatePartitions,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  createCreatePartitionsResponse,
  createCreatePartitionsTopicResult,
} from '../../protocol/messages/create-partitions.ts'
import { defineHandler } from '../api-handler.ts'

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  api: CreatePartitions,
  handle(request, { state }) {
    const nodeIds = new Set(state.nodes.map((n) => n.nodeId))
    return createCreatePartitionsResponse({
      results: request.topics.map((wanted) => {
        const result = (errorCode: number, errorMessage: string | null = null) =>
          createCreatePartitionsTopicResult({ name: wanted.name, errorCode, errorMessage })
        const topic = state.topics.get(wanted.name)
        if (topic === undefined) {
          return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${wanted.name}' does not exist`)
        }
        const current = topic.partitions.length
        if (wanted.count <= current) {
          return result(
            ErrorCode.INVALID_PARTITIONS,
            `Topic currently has ${current} partitions, which is higher than or equal to the requested ${wanted.count}.`,
          )
        }
        if (wanted.assignments !== null) {
          if (wanted.assignments.length !== wanted.count - current) {
            return result(
              ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              `Increasing the number of partitions by ${wanted.count - current} but ${wanted.assignments.length} assignments provided.`,
            )
          }
          const unknown = wanted.assignments.flatMap((a) => a.brokerIds).find((id) => !nodeIds.has(id))
          if (unknown !== undefined) {
            return result(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker id ${unknown}.`)
          }
        }
        if (!request.validateOnly) state.topics.addPartitions(wanted.name, wanted.count)
        return result(ErrorCode.NONE)
      }),
    })
  },
})
