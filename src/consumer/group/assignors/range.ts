/**
 * The `range` assignor: topic by topic, the members subscribed to the topic (in {@link compareMembers} order)
 * each take one contiguous range of its partitions; when the partitions do not divide evenly, the first members
 * take one extra. Partitions with the same number in different topics therefore tend to land on the same member,
 * which is what joins over co-partitioned topics want, at the price of imbalance across many small topics.
 *
 * Results match the Java client's `RangeAssignor` when no rack information is used.
 */

import type { TopicPartition } from '../../../common/types.ts'
import {
  type AssignmentInput,
  compareMembers,
  compareStrings,
  emptyAssignment,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
} from './assignor.ts'

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range'
  readonly supportedProtocols = ['eager'] as const

  assign(input: AssignmentInput): GroupAssignment {
    const assignment = emptyAssignment(input.members)
    const subscribers = new Map<string, MemberSubscription[]>()
    for (const member of input.members) {
      for (const topic of new Set(member.topics)) {
        const list = subscribers.get(topic) ?? []
        list.push(member)
        subscribers.set(topic, list)
      }
    }
    const topics = [...subscribers.keys()].sort(compareStrings)
    for (const topic of topics) {
      const partitionCount = input.partitionsPerTopic.get(topic)
      if (partitionCount === undefined) continue
      const members = subscribers.get(topic)!.sort(compareMembers)
      const perMember = Math.floor(partitionCount / members.length)
      const withExtra = partitionCount % members.length
      members.forEach((member, index) => {
        const start = perMember * index + Math.min(index, withExtra)
        const length = perMember + (index < withExtra ? 1 : 0)
        const owned = assignment.get(member.memberId)!
        for (let partition = start; partition < start + length; partition++) {
          owned.push({ topic, partition } satisfies TopicPartition)
        }
      })
    }
    return assignment
  }
}
