/** The built-in assignors by their registered protocol names. */

import type { PartitionAssignor, RebalanceProtocol } from './assignor.ts'
import { CooperativeStickyAssignor } from './cooperative-sticky.ts'
import { RangeAssignor } from './range.ts'
import { RoundRobinAssignor } from './round-robin.ts'

/** Names of the assignors samsa ships, as registered by the Java client. */
export const BUILT_IN_ASSIGNORS = ['range', 'roundrobin', 'cooperative-sticky'] as const
export type BuiltInAssignorName = (typeof BUILT_IN_ASSIGNORS)[number]

export function builtInAssignor(name: BuiltInAssignorName): PartitionAssignor {
  switch (name) {
    case 'range':
      return new RangeAssignor()
    case 'roundrobin':
      return new RoundRobinAssignor()
    case 'cooperative-sticky':
      return new CooperativeStickyAssignor()
  }
}

/**
 * The rebalance protocol a member uses: cooperative only when *every* assignor it offers supports it, because
 * the coordinator may pick any of them. This is the Java client's rule, and why its default
 * `[range, cooperative-sticky]` still rebalances eagerly.
 */
export function rebalanceProtocolOf(assignors: readonly PartitionAssignor[]): RebalanceProtocol {
  return assignors.every((assignor) => assignor.supportedProtocols.includes('cooperative'))
    ? 'cooperative'
    : 'eager'
}
