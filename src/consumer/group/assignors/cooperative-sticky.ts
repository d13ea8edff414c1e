/**
 * The `cooperative-sticky` assignor (KIP-429 on top of KIP-54's sticky assignment).
 *
 * Goals, in order: every partition of a subscribed topic is assigned to exactly one member subscribed to it; the
 * assignment is balanced (when all members subscribe to the same topics, every member gets ⌊P/N⌋ or ⌈P/N⌉
 * partitions); and as few partitions as possible move. On top of that comes the cooperative rule: a partition
 * that must move from member A to member B is *not* given to B in this rebalance. A sees it disappear from its
 * assignment and revokes it, which makes A rejoin; the follow-up rebalance finds the partition unowned and gives
 * it to B. Nobody consumes it twice, and every partition that does not move keeps being consumed throughout.
 *
 * Ownership comes from each member's subscription (`ownedPartitions` and `generationId`, or for subscriptions
 * older than v2 the generation this assignor encodes in its user data, as the Java client does). Claims from a
 * generation older than the newest one seen are ignored: those members were fenced and already lost them.
 *
 * Interoperates with the Java client's `CooperativeStickyAssignor` (same name, same user data, same rules); like
 * Java's, the exact choice among equally good assignments is an implementation detail.
 */

import type { TopicPartition } from '../../../common/types.ts'
import { topicPartitionKey } from '../../../common/types.ts'
import {
  type AssignmentInput,
  compareMembers,
  comparePartitions,
  compareStrings,
  emptyAssignment,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
} from './assignor.ts'

/** Generation of a member whose generation is unknown. */
const NO_GENERATION = -1

export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky'
  readonly supportedProtocols = ['cooperative', 'eager'] as const

  /** The Java assignor's user data: the generation as one int32, read by members that predate subscription v2. */
  subscriptionUserData(generationId: number): Buffer {
    const data = Buffer.alloc(4)
    data.writeInt32BE(generationId)
    return data
  }

  assign(input: AssignmentInput): GroupAssignment {
    const members = [...input.members].sort(compareMembers)
    const partitions = allPartitions(input, members)
    const owned = validOwnership(members, partitions)
    const sticky = subscriptionsEqual(members)
      ? balancedAssign(members, partitions, owned)
      : generalAssign(members, partitions, owned, input)
    withholdTransfers(sticky, members)
    return sticky
  }
}

/** Every partition of every subscribed topic that exists, keyed by `topic:partition`. */
function allPartitions(
  input: AssignmentInput,
  members: readonly MemberSubscription[],
): Map<string, TopicPartition> {
  const topics = [...new Set(members.flatMap((member) => member.topics))].sort(compareStrings)
  const result = new Map<string, TopicPartition>()
  for (const topic of topics) {
    const count = input.partitionsPerTopic.get(topic) ?? 0
    for (let partition = 0; partition < count; partition++) {
      result.set(topicPartitionKey(topic, partition), { topic, partition })
    }
  }
  return result
}

function memberGeneration(member: MemberSubscription): number {
  if (member.generationId >= 0) return member.generationId
  if (member.userData !== null && member.userData.length >= 4) return member.userData.readInt32BE(0)
  return NO_GENERATION
}

/**
 * Member id → partitions it legitimately owns: claims from the newest generation only, for partitions that
 * still exist and that the member still subscribes to. A partition claimed by two members of the newest
 * generation (possible only after a coordinator failure) belongs to neither and is reassigned from scratch.
 */
function validOwnership(
  members: readonly MemberSubscription[],
  partitions: ReadonlyMap<string, TopicPartition>,
): Map<string, TopicPartition[]> {
  const newest = Math.max(NO_GENERATION, ...members.map(memberGeneration))
  const claims = new Map<string, string[]>()
  for (const member of members) {
    if (memberGeneration(member) !== newest) continue
    const topics = new Set(member.topics)
    for (const tp of member.ownedPartitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      if (!partitions.has(key) || !topics.has(tp.topic)) continue
      const owners = claims.get(key) ?? []
      if (!owners.includes(member.memberId)) owners.push(member.memberId)
      claims.set(key, owners)
    }
  }
  const owned = new Map<string, TopicPartition[]>(members.map((member) => [member.memberId, []]))
  for (const member of members) {
    for (const tp of member.ownedPartitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      const owners = claims.get(key)
      if (owners?.length !== 1 || owners[0] !== member.memberId) continue
      claims.delete(key) // a member listing a partition twice keeps it once
      owned.get(member.memberId)!.push(partitions.get(key)!)
    }
  }
  return owned
}

function subscriptionsEqual(members: readonly MemberSubscription[]): boolean {
  const first = members[0]
  if (first === undefined) return true
  const topics = new Set(first.topics)
  return members.every(
    (member) => new Set(member.topics).size === topics.size && member.topics.every((t) => topics.has(t)),
  )
}

/**
 * All members subscribe to the same topics, so any member can take any partition: every member ends with
 * ⌊P/N⌋ partitions, and exactly P mod N of them with one more. Members keep their own partitions up to that
 * quota (the first members in group order get the extra slots), and the rest are dealt out in order.
 */
function balancedAssign(
  members: readonly MemberSubscription[],
  partitions: ReadonlyMap<string, TopicPartition>,
  owned: ReadonlyMap<string, TopicPartition[]>,
): GroupAssignment {
  const assignment = emptyAssignment(members)
  if (members.length === 0) return assignment
  const minQuota = Math.floor(partitions.size / members.length)
  let extraSlots = partitions.size % members.length
  const unassigned = new Map(partitions)

  for (const member of members) {
    const keep = owned.get(member.memberId)!.slice(0, minQuota)
    assignment.get(member.memberId)!.push(...keep)
    for (const tp of keep) unassigned.delete(topicPartitionKey(tp.topic, tp.partition))
  }
  for (const member of members) {
    if (extraSlots === 0) break
    const ownedBeyondQuota = owned.get(member.memberId)![minQuota]
    if (ownedBeyondQuota === undefined) continue
    assignment.get(member.memberId)!.push(ownedBeyondQuota)
    unassigned.delete(topicPartitionKey(ownedBeyondQuota.topic, ownedBeyondQuota.partition))
    extraSlots--
  }

  const pool = [...unassigned.values()].sort(comparePartitions)
  let next = 0
  // Fill everyone up to the minimum quota one partition at a time, so new members share the pool evenly...
  for (let filled = false; !filled; ) {
    filled = true
    for (const member of members) {
      const list = assignment.get(member.memberId)!
      if (list.length < minQuota && next < pool.length) {
        list.push(pool[next++]!)
        filled = false
      }
    }
  }
  // ...then hand the remainder to members still at the minimum, while extra slots remain.
  for (const member of members) {
    if (next >= pool.length) break
    const list = assignment.get(member.memberId)!
    if (list.length === minQuota && extraSlots > 0) {
      list.push(pool[next++]!)
      extraSlots--
    }
  }
  return assignment
}

/**
 * Members subscribe to different topics, so balance is per eligible member: keep valid ownership, give each
 * unowned partition (those with the fewest eligible members first) to its least-loaded eligible member, then
 * move partitions from a member to an eligible member holding at least two fewer until no such move remains.
 * Each move lowers the sum of squared member loads, so the loop ends.
 */
function generalAssign(
  members: readonly MemberSubscription[],
  partitions: ReadonlyMap<string, TopicPartition>,
  owned: ReadonlyMap<string, TopicPartition[]>,
  input: AssignmentInput,
): GroupAssignment {
  const assignment = emptyAssignment(members)
  const order = new Map(members.map((member, index) => [member.memberId, index]))
  const eligible = new Map<string, MemberSubscription[]>()
  for (const member of members) {
    for (const topic of new Set(member.topics)) {
      if (!input.partitionsPerTopic.has(topic)) continue
      const list = eligible.get(topic) ?? []
      list.push(member)
      eligible.set(topic, list)
    }
  }
  const unassigned = new Map(partitions)
  for (const member of members) {
    for (const tp of owned.get(member.memberId)!) {
      assignment.get(member.memberId)!.push(tp)
      unassigned.delete(topicPartitionKey(tp.topic, tp.partition))
    }
  }
  const load = (member: MemberSubscription) => assignment.get(member.memberId)!.length
  const leastLoaded = (candidates: readonly MemberSubscription[]) =>
    candidates.reduce((best, member) =>
      load(member) < load(best) ||
      (load(member) === load(best) && order.get(member.memberId)! < order.get(best.memberId)!)
        ? member
        : best,
    )

  const pool = [...unassigned.values()].sort(
    (a, b) => eligible.get(a.topic)!.length - eligible.get(b.topic)!.length || comparePartitions(a, b),
  )
  for (const tp of pool) assignment.get(leastLoaded(eligible.get(tp.topic)!).memberId)!.push(tp)

  for (let moved = true; moved; ) {
    moved = false
    const byLoad = [...members].sort(
      (a, b) => load(b) - load(a) || order.get(a.memberId)! - order.get(b.memberId)!,
    )
    for (const source of byLoad) {
      const list = assignment.get(source.memberId)!
      // Prefer giving away partitions the member did not own before, so stickiness suffers least.
      const ownedBefore = new Set(
        owned.get(source.memberId)!.map((tp) => topicPartitionKey(tp.topic, tp.partition)),
      )
      const candidates = [...list.keys()].sort(
        (a, b) =>
          Number(ownedBefore.has(topicPartitionKey(list[a]!.topic, list[a]!.partition))) -
            Number(ownedBefore.has(topicPartitionKey(list[b]!.topic, list[b]!.partition))) || b - a,
      )
      for (const index of candidates) {
        const tp = list[index]!
        const target = leastLoaded(eligible.get(tp.topic)!)
        if (load(target) + 2 > list.length) continue
        list.splice(index, 1)
        assignment.get(target.memberId)!.push(tp)
        moved = true
        break
      }
      if (moved) break
    }
  }
  return assignment
}

/**
 * The cooperative rule: a partition assigned to one member but currently claimed by another is taken out of the
 * new owner's assignment. The claimant sees it missing, revokes it and rejoins; the next rebalance assigns it.
 */
function withholdTransfers(assignment: GroupAssignment, members: readonly MemberSubscription[]): void {
  const claimedBy = new Map<string, Set<string>>()
  for (const member of members) {
    for (const tp of member.ownedPartitions) {
      const key = topicPartitionKey(tp.topic, tp.partition)
      const set = claimedBy.get(key) ?? new Set<string>()
      set.add(member.memberId)
      claimedBy.set(key, set)
    }
  }
  for (const [memberId, list] of assignment) {
    const kept = list.filter((tp) => {
      const claimants = claimedBy.get(topicPartitionKey(tp.topic, tp.partition))
      return claimants === undefined || claimants.has(memberId)
    })
    assignment.set(memberId, kept.sort(comparePartitions))
  }
}
