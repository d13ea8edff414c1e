/**
 * The one error type the broker rig throws. The rig is developer tooling, not the client, so its failures are
 * about the machine (no java, a busy port, a broker that died on start-up) and `reason` lets callers and
 * tests tell them apart without parsing messages.
 */

import { ClientErrorCode, KafkaError } from '../common/errors.ts'

export type RigErrorReason =
  | 'java-missing'
  | 'mvn-missing'
  | 'download-failed'
  | 'port-busy'
  | 'rig-mismatch'
  | 'startup-failed'
  | 'startup-timeout'
  | 'unreachable'
  | 'not-running'

export class RigError extends KafkaError {
  override name = 'RigError'
  readonly reason: RigErrorReason

  constructor(reason: RigErrorReason, message: string, cause?: unknown) {
    super(message, ClientErrorCode.state, cause === undefined ? {} : { cause })
    this.reason = reason
  }
}
