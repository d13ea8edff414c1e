/**
 * The connection a consumer's offset commits and committed-offset reads travel on: a connection to the
 * group coordinator opened for them alone, never the pooled connection the fetcher uses.
 *
 * A broker answers the requests of one connection strictly in order, and the fetcher keeps a Fetch parked on
 * each leader's pooled connection for up to `fetchMaxWaitMs`. When the coordinator is also a leader the
 * consumer fetches from (always so on a one-broker cluster), an OffsetCommit on the pooled connection waits
 * behind that long poll: half a second per commit with the defaults, so committing after every message
 * crawled at two messages a second. The Java client keeps its coordinator traffic apart for the same reason.
 *
 * It is not the membership's coordinator connection either: that one carries JoinGroup, which the broker
 * may park for the whole rebalance timeout.
 */

import { isCoordinatorMovedError } from '../../cluster/coordinator.ts'
import type { RetryOptions } from '../../cluster/retry.ts'
import { ClosedError } from '../../common/errors.ts'
import type { Connection } from '../../network/connection.ts'
import { type GroupClusterSource, groupClusterOf } from '../group/group-cluster.ts'
import type { CoordinatorAccess } from './commit-manager.ts'

/** {@link CoordinatorAccess} over a connection of its own, closed with {@link CoordinatorChannel.close}. */
export interface CoordinatorChannel extends CoordinatorAccess {
  /** Closes the connection, letting requests in flight finish. Later requests fail with ClosedError. */
  close(): Promise<void>
}

/** What the channel needs of the shared cluster: coordinator lookup, and its retry policy. */
export type CoordinatorChannelSource = GroupClusterSource & {
  retry<T>(operation: (attempt: number) => Promise<T>, overrides?: Partial<RetryOptions>): Promise<T>
}

/**
 * A channel to the coordinator of one group over `cluster`. The connection opens on first use and is opened
 * again after the coordinator moved or the connection broke (the retry then finds the new coordinator).
 */
export function coordinatorChannelOf(cluster: CoordinatorChannelSource): CoordinatorChannel {
  const coordinators = groupClusterOf(cluster)
  let closed = false
  return {
    withCoordinator<T>(
      _type: 'group',
      key: string,
      operation: (connection: Connection) => Promise<T>,
      overrides: Partial<RetryOptions> = {},
    ): Promise<T> {
      return cluster.retry(async () => {
        if (closed) throw new ClosedError('the consumer is closed: its coordinator connection is gone')
        const connection = await coordinators.coordinator(key)
        try {
          return await operation(connection)
        } catch (error) {
          if (isCoordinatorMovedError(error)) coordinators.invalidateCoordinator(key)
          throw error
        }
      }, overrides)
    },
    async close() {
      closed = true
      await coordinators.close()
    },
  }
}
