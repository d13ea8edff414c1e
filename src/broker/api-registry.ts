/** The APIs the in-process broker serves, by API key: one handler each, advertised in ApiVersions. */

import type { ApiHandler } from './api-handler.ts'
import { apiVersionsHandler } from './handlers/api-versions.ts'
import { createTopicsHandler } from './handlers/create-topics.ts'
import { fetchHandler } from './handlers/fetch.ts'
import { findCoordinatorHandler } from './handlers/find-coordinator.ts'
import { heartbeatHandler } from './handlers/heartbeat.ts'
import { initProducerIdHandler } from './handlers/init-producer-id.ts'
import { joinGroupHandler } from './handlers/join-group.ts'
import { leaveGroupHandler } from './handlers/leave-group.ts'
import { listOffsetsHandler } from './handlers/list-offsets.ts'
import { metadataHandler } from './handlers/metadata.ts'
import { offsetCommitHandler } from './handlers/offset-commit.ts'
import { offsetFetchHandler } from './handlers/offset-fetch.ts'
import { produceHandler } from './handlers/produce.ts'
import { syncGroupHandler } from './handlers/sync-group.ts'

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
  ]) {
    handlers.set(handler.api.apiKey, handler)
  }
  return handlers
}
