/**
 * Finding the broker that coordinates a consumer group or a transactional id (FindCoordinator), and
 * recognising the errors that say a cached answer is out of date.
 */

import { ConnectionError, KafkaError, ProtocolDecodeError, TimeoutError } from '../common/errors.ts'
import type { Connection } from '../network/connection.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { FindCoordinator } from '../protocol/messages/find-coordinator.ts'
import { firstVersions } from '../protocol/version-caps.ts'
import type { BrokerInfo } from './metadata.ts'

/** What a coordinator coordinates: a consumer group, or a transactional producer. */
export type CoordinatorType = 'group' | 'transaction'

const KEY_TYPES: Record<CoordinatorType, number> = { group: 0, transaction: 1 }

/** COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR: ask FindCoordinator again. */
const COORDINATOR_MOVED_CODES: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
])

/**
 * True when `error` means the cached coordinator should be forgotten and looked up again: the broker said
 * it is not (or no longer) the coordinator, or the connection to it failed. COORDINATOR_LOAD_IN_PROGRESS is
 * not among them: the coordinator is right, it just needs a moment.
 */
export function isCoordinatorMovedError(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true
  return error instanceof KafkaError && COORDINATOR_MOVED_CODES.has(error.code)
}

/**
 * Asks `connection`'s broker which broker coordinates `key`, in the batched form (v4+) when the broker has
 * it and the single-key form otherwise. Throws the coordinator error (retriable for "not available" and
 * "loading").
 */
export async function findCoordinator(
  connection: Connection,
  type: CoordinatorType,
  key: string,
): Promise<BrokerInfo> {
  // The codec refuses fields a version lacks, so the request is shaped for the version it will go out as.
  const version = connection.versions.pick(FindCoordinator)
  const batched = version >= firstVersions.findCoordinatorBatched
  const response = await connection.request(
    FindCoordinator,
    { key: batched ? '' : key, keyType: KEY_TYPES[type], coordinatorKeys: batched ? [key] : [] },
    { version },
  )
  const answer =
    response.coordinators.find((coordinator) => coordinator.key === key) ??
    (response.coordinators.length === 0
      ? {
          errorCode: response.errorCode,
          errorMessage: response.errorMessage,
          nodeId: response.nodeId,
          host: response.host,
          port: response.port,
        }
      : undefined)
  if (answer === undefined) {
    throw new ProtocolDecodeError(
      `FindCoordinator response from ${connection.address} has no entry for ${type} "${key}"`,
      { broker: connection.address },
    )
  }
  const error = errorForCode(answer.errorCode, {
    broker: connection.address,
    errorMessage: answer.errorMessage,
  })
  if (error !== null) throw error
  return { nodeId: answer.nodeId, host: answer.host, port: answer.port, rack: null }
}
