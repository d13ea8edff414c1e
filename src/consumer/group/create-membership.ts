/** Picks the membership implementation for the configured group protocol. */

import { ClassicMembership } from './classic-membership.ts'
import { ConsumerMembership } from './consumer-membership.ts'
import type { GroupMembership } from './membership.ts'
import type { MembershipInit } from './membership-base.ts'

export function createMembership(init: MembershipInit): GroupMembership {
  return init.options.groupProtocol === 'consumer'
    ? new ConsumerMembership(init)
    : new ClassicMembership(init)
}
