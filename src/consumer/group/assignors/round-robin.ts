/**
 * The `roundrobin` assignor: every partition of every subscribed topic, ordered by topic then partition, is dealt
 * in turn to the members (in {@link compareMembers} order), skipping members not subscribed to its topic.
 * Balanced when all members subscribe to the same topics; not sticky, so every rebalance may move anything.
 *
 * Results match the Java client's `RoundRobinAssignor`.
 */

import {
  type AssignmentInput,
  compareMembers,
  compareStrings,
  emptyAssignment,
  type GroupAssignment,
  type PartitionAssignor,
} from './assignor.ts'

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin'
  readonly supportedProtocols = ['eager'] as const

  assign(input: AssignmentInput): GroupAssignment {
    const assignment = emptyAssignment(input.members)
    const members = [...input.members].sort(compareMembers)
    if (members.length === 0) return assignment
    const subscriptions = members.map((member) => new Set(member.topics))
    const topics = [...new Set(members.flatMap((member) => member.topics))].sort(compareStrings)
    // The dealer's position carries over from topic to topic, as in Java: it is one circular pass over the
    // members for the whole group, not a restart per topic.
    let next = 0
    for (const topic of topics) {
      const partitionCount = input.partitionsPerTopic.get(topic)
      if (partitionCount === undefined) continue
      for (let partition = 0; partition < partitionCount; partition++) {
        while (!subscriptions[next % members.length]!.has(topic)) next++
        const member = members[next % members.length]!
        assignment.get(member.memberId)!.push({ topic, partition })
        next++
      }
    }
    return assignment
  }
}
