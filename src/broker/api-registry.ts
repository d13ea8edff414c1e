/** The APIs the in-process broker serves, by API key: one handler each, advertised in ApiVersions. */

import type { ApiHandler } from './api-handler.ts'
import { apiVersionsHandler } from './handlers/api-versions.ts'
import { createTopicsHandler } from './handlers/create-topics.ts'
import { fetchHandler } from './handlers/fetch.ts'
import { initProducerIdHandler } from './handlers/init-producer-id.ts'
import { listOffsetsHandler } from './handlers/list-offsets.ts'
import { metadataHandler } from './handlers/metadata.ts'
import { produceHandler } from './handlers/produce.ts'

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
  ]) {
    handlers.set(handler.api.apiKey, handler)
  }
  return handlers
}
