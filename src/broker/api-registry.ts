/** The APIs the in-process broker serves, by API key: one handler each, advertised in ApiVersions. */

import type { ApiHandler } from './api-handler.ts'
import { addOffsetsToTxnHandler } from './handlers/add-offsets-to-txn.ts'
import { addPartitionsToTxnHandler } from './handlers/add-partitions-to-txn.ts'
import { apiVersionsHandler } from './handlers/api-versions.ts'
import { consumerGroupDescribeHandler } from './handlers/consumer-group-describe.ts'
import { consumerGroupHeartbeatHandler } from './handlers/consumer-group-heartbeat.ts'
import { createPartitionsHandler } from './handlers/create-partitions.ts'
import { createTopicsHandler } from './handlers/create-topics.ts'
import { deleteGroupsHandler } from './handlers/delete-groups.ts'
import { deleteRecordsHandler } from './handlers/delete-records.ts'
import { deleteTopicsHandler } from './handlers/delete-topics.ts'
import { describeClusterHandler } from './handlers/describe-cluster.ts'
import { describeConfigsHandler } from './handlers/describe-configs.ts'
import { describeGroupsHandler } from './handlers/describe-groups.ts'
import { endTxnHandler } from './handlers/end-txn.ts'
import { fetchHandler } from './handlers/fetch.ts'
import { findCoordinatorHandler } from './handlers/find-coordinator.ts'
import { heartbeatHandler } from './handlers/heartbeat.ts'
import { incrementalAlterConfigsHandler } from './handlers/incremental-alter-configs.ts'
import { initProducerIdHandler } from './handlers/init-producer-id.ts'
import { joinGroupHandler } from './handlers/join-group.ts'
import { leaveGroupHandler } from './handlers/leave-group.ts'
import { listGroupsHandler } from './handlers/list-groups.ts'
import { listOffsetsHandler } from './handlers/list-offsets.ts'
import { metadataHandler } from './handlers/metadata.ts'
import { offsetCommitHandler } from './handlers/offset-commit.ts'
import { offsetFetchHandler } from './handlers/offset-fetch.ts'
import { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.ts'
import { produceHandler } from './handlers/produce.ts'
import { syncGroupHandler } from './handlers/sync-group.ts'
import { txnOffsetCommitHandler } from './handlers/txn-offset-commit.ts'

export function apiRegistry(): ReadonlyMap<number, ApiHandler> {
  const handlers = new Map<number, ApiHandler>()
  const all = (): ApiHandler[] => [...handlers.values()]
  for (const handler of [
    apiVersionsHandler(all),
    metadataHandler,
    createTopicsHandler,
    produceHandler,
    fetchHandler,
    listOffsetsHandler,
    initProducerIdHandler,
    findCoordinatorHandler,
    joinGroupHandler,
    syncGroupHandler,
    heartbeatHandler,
    leaveGroupHandler,
    offsetCommitHandler,
    offsetFetchHandler,
    deleteTopicsHandler,
    createPartitionsHandler,
    describeConfigsHandler,
    offsetForLeaderEpochHandler,
    deleteRecordsHandler,
    listGroupsHandler,
    describeGroupsHandler,
    deleteGroupsHandler,
    describeClusterHandler,
    addPartitionsToTxnHandler,
    addOffsetsToTxnHandler,
    txnOffsetCommitHandler,
    endTxnHandler,
    consumerGroupHeartbeatHandler,
    consumerGroupDescribeHandler,
    incrementalAlterConfigsHandler,
  ]) {
    handlers.set(handler.api.apiKey, handler)
  }
  return handlers
}
