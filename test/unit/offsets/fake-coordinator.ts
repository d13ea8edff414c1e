/**
 * A group coordinator faked at the connection boundary, for unit tests of the commit path: it records each
 * OffsetCommit and answers only when the test says so.
 */

import type { RetryOptions } from '../../../src/cluster/retry.ts'
import type { CoordinatorAccess } from '../../../src/consumer/offsets/commit-manager.ts'
import type { Connection } from '../../../src/network/connection.ts'
import type {
  OffsetCommitRequest,
  OffsetCommitResponse,
} from '../../../src/protocol/messages/offset-commit.ts'

/**
 * One OffsetCommit the fake coordinator received; `answer` settles it with per-partition error codes, `fail`
 * with an error for the whole request (a timeout or a dropped connection: its outcome is unknown).
 */
export interface Received {
  request: OffsetCommitRequest
  answer(codes?: Record<string, number>): void
  fail(error: Error): void
}

/**
 * The coordinator at the connection boundary: records each OffsetCommit and answers only when the test says
 * so. Retries follow the caller's isRetriable, as the cluster's retry loop does.
 */
export function fakeCoordinator() {
  const received: Received[] = []
  let waiting: (() => void) | undefined
  const connection = {
    address: 'fake:9092',
    request(_api: unknown, request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
      return new Promise((resolve, reject) => {
        received.push({
          request,
          fail: reject,
          answer(codes = {}) {
            resolve({
              throttleTimeMs: 0,
              topics: request.topics.map((t) => ({
                name: t.name,
                topicId: t.topicId,
                partitions: t.partitions.map((p) => ({
                  partitionIndex: p.partitionIndex,
                  errorCode: codes[`${t.name}-${p.partitionIndex}`] ?? 0,
                })),
              })),
            } as unknown as OffsetCommitResponse)
          },
        })
        waiting?.()
      })
    },
  } as unknown as Connection
  const access: CoordinatorAccess = {
    async withCoordinator<T>(
      _type: 'group',
      _key: string,
      operation: (c: Connection) => Promise<T>,
      overrides: Partial<RetryOptions> = {},
    ): Promise<T> {
      for (let attempt = 0; ; attempt++) {
        try {
          return await operation(connection)
        } catch (error) {
          if (attempt < 3 && overrides.isRetriable?.(error) === true) continue
          throw error
        }
      }
    },
  }
  /** Resolves once the coordinator has received `count` requests in all. */
  async function requests(count: number): Promise<Received[]> {
    while (received.length < count) {
      await new Promise<void>((resolve) => {
        waiting = resolve
      })
    }
    return received
  }
  return { access, received, requests }
}
