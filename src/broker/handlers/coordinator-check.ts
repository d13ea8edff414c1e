/** Whether the node a request reached coordinates `key` (a group or transactional id); else NOT_COORDINATOR. */

import type { RequestContext } from '../api-handler.ts'

export function coordinates(context: RequestContext, key: string): boolean {
  return context.state.coordinatorFor(key).nodeId === context.nodeId
}
