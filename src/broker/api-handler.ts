/**
 * What one API's server side is: the generated codec it decodes requests and encodes responses with, the
 * versions the broker advertises for it, and the function that turns a request into a response.
 */

import type { ApiDefinition } from '../protocol/api.ts'
import type { BrokerState } from './broker-state.ts'

export interface RequestContext {
  readonly state: BrokerState
  /** The node the request arrived at. */
  readonly nodeId: number
  readonly apiVersion: number
  readonly clientId: string | null
  /** Identifies the connection, e.g. for a group member id derived from it. */
  readonly connectionId: number
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly api: ApiDefinition<Req, Res>
  /** Versions advertised in ApiVersions; default the codec's whole range. */
  readonly minVersion?: number
  readonly maxVersion?: number
  /** Returns the response, or undefined for a request that gets none (Produce with acks=0). */
  handle(request: Req, context: RequestContext): Res | undefined | Promise<Res | undefined>
}

/** Declares a handler with its request and response types checked against the codec. */
export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler {
  return handler as unknown as ApiHandler
}
