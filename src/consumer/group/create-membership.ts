/** Picks the membership implementation for the configured group protocol. */

import type { Logger } from '../../common/logger.ts'
import { ClassicMembership } from './classic-membership.ts'
import { ConsumerMembership } from './consumer-membership.ts'
import type { GroupCluster } from './group-cluster.ts'
import type { ResolvedGroupOptions } from './group-options.ts'
import type { GroupMembership } from './membership.ts'
import type { AssignmentTarget, MembershipHooks } from './rebalance-listener.ts'

export interface MembershipInit {
  cluster: GroupCluster
  options: ResolvedGroupOptions
  target: AssignmentTarget
  hooks?: MembershipHooks
  logger: Logger
  retryBackoffMs: number
  retryBackoffMaxMs: number
}

export function createMembership(init: MembershipInit): GroupMembership {
  return init.options.groupProtocol === 'consumer'
    ? new ConsumerMembership(init)
    : new ClassicMembership(init)
}
