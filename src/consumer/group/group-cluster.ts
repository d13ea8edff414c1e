/**
 * What group membership needs from the cluster layer, kept narrow so membership does not depend on how
 * connections and metadata are pooled; and its implementation over the shared {@link Cluster}.
 */

import type { ConnectionSettings } from '../../cluster/client-options.ts'
import type { Cluster } from '../../cluster/cluster.ts'
import { MetadataSnapshot } from '../../cluster/metadata.ts'
import type { Connection } from '../../network/connection.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { Metadata } from '../../protocol/messages/metadata.ts'

export interface GroupCluster {
  /**
   * A connection to the group's coordinator (FindCoordinator, cached). JoinGroup holds a broker's request
   * queue for up to the rebalance timeout, so this must not be the connection fetches use.
   */
  coordinator(groupId: string): Promise<Connection>
  /** Forgets the cached coordinator after NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a broken connection. */
  invalidateCoordinator(groupId: string): void
  /** Fresh metadata for `topics`, or for every topic when `topics` is null (pattern subscriptions). */
  fetchMetadata(topics: readonly string[] | null): Promise<MetadataSnapshot>
  /** How often subscribed topics' metadata is re-read to notice new partitions and new matching topics. */
  readonly metadataMaxAgeMs: number
  /** How a worker thread opens connections like this cluster's; undefined when it cannot (see liveness.ts). */
  readonly connectionSettings?: ConnectionSettings
  /** Closes the coordinator connection. */
  close(): Promise<void>
}

/** The parts of the shared {@link Cluster} group membership is built on. */
export type GroupClusterSource = Pick<
  Cluster,
  | 'coordinatorFor'
  | 'dedicatedConnection'
  | 'forgetCoordinator'
  | 'refreshMetadata'
  | 'anyConnection'
  | 'options'
>

/**
 * A {@link GroupCluster} over the shared cluster. The coordinator gets a connection of its own, as in the Java
 * client: a broker answers one request per connection at a time, so a JoinGroup parked for the rebalance
 * timeout on the pooled connection would stall this client's fetches from that broker, which is exactly what
 * a cooperative rebalance must not do.
 */
export function groupClusterOf(cluster: GroupClusterSource): GroupCluster {
  let current: { nodeId: number; connection: Connection } | undefined
  return {
    metadataMaxAgeMs: cluster.options.metadataMaxAgeMs,
    connectionSettings: cluster.options.connectionSettings,

    async coordinator(groupId) {
      const broker = await cluster.coordinatorFor('group', groupId)
      if (
        current !== undefined &&
        current.nodeId === broker.nodeId &&
        current.connection.state !== 'closed'
      ) {
        return current.connection
      }
      current?.connection.destroy()
      const connection = cluster.dedicatedConnection(broker)
      current = { nodeId: broker.nodeId, connection }
      try {
        await connection.connect()
      } catch (error) {
        cluster.forgetCoordinator('group', groupId)
        throw error
      }
      return connection
    },

    invalidateCoordinator(groupId) {
      cluster.forgetCoordinator('group', groupId)
      current?.connection.destroy()
      current = undefined
    },

    async fetchMetadata(topics) {
      if (topics !== null) return cluster.refreshMetadata(topics)
      const connection = await cluster.anyConnection()
      const response = await connection.request(Metadata, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      })
      const error = errorForCode(response.errorCode, { broker: connection.address })
      if (error !== null) throw error
      return MetadataSnapshot.fromResponse(response, performance.now())
    },

    async close() {
      const connection = current?.connection
      current = undefined
      await connection?.close()
    },
  }
}
