/**
 * The server-side assignors of KIP-848 groups: `uniform` (Kafka's default) spreads partitions evenly over
 * the members subscribed to them and keeps each where it was when balance allows (sticky); `range` gives
 * each member a contiguous range of every topic it subscribes to, as the classic range assignor does.
 * Both are deterministic: the same members, subscriptions and previous assignment give the same answer.
 */

/** A partition of a topic, by topic id. */
export interface AssignablePartition {
  readonly topicId: string
  readonly topicName: string
  readonly partition: number
}

export interface AssignorMember {
  readonly memberId: string
  /** Topic ids this member subscribes to. */
  readonly topics: ReadonlySet<string>
}

/** Member id -> partition keys (`topicId:partition`). */
export type TargetAssignment = Map<string, Set<string>>

export const SERVER_ASSIGNORS = ['uniform', 'range'] as const
export type ServerAssignorName = (typeof SERVER_ASSIGNORS)[number]

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`
}

export function assign(
  assignor: ServerAssignorName,
  members: readonly AssignorMember[],
  partitions: readonly AssignablePartition[],
  previous: TargetAssignment,
): TargetAssignment {
  const sortedMembers = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
  const sortedPartitions = [...partitions].sort((a, b) =>
    a.topicName === b.topicName ? a.partition - b.partition : a.topicName < b.topicName ? -1 : 1,
  )
  return assignor === 'range'
    ? rangeAssign(sortedMembers, sortedPartitions)
    : uniformAssign(sortedMembers, sortedPartitions, previous)
}

function rangeAssign(members: AssignorMember[], partitions: AssignablePartition[]): TargetAssignment {
  const result: TargetAssignment = new Map(members.map((m) => [m.memberId, new Set<string>()]))
  const byTopic = new Map<string, AssignablePartition[]>()
  for (const p of partitions) byTopic.set(p.topicId, [...(byTopic.get(p.topicId) ?? []), p])
  for (const [topicId, topicPartitions] of byTopic) {
    const subscribers = members.filter((m) => m.topics.has(topicId))
    if (subscribers.length === 0) continue
    const each = Math.floor(topicPartitions.length / subscribers.length)
    const extra = topicPartitions.length % subscribers.length
    let next = 0
    subscribers.forEach((member, i) => {
      const count = each + (i < extra ? 1 : 0)
      for (const p of topicPartitions.slice(next, next + count)) {
        result.get(member.memberId)!.add(partitionKey(p.topicId, p.partition))
      }
      next += count
    })
  }
  return result
}

function uniformAssign(
  members: AssignorMember[],
  partitions: AssignablePartition[],
  previous: TargetAssignment,
): TargetAssignment {
  const owner = new Map<string, string>()
  const result: TargetAssignment = new Map(members.map((m) => [m.memberId, new Set<string>()]))
  const eligible = (p: AssignablePartition) => members.filter((m) => m.topics.has(p.topicId))
  // Sticky: a partition stays with its previous owner while that member still subscribes to its topic.
  for (const [memberId, keys] of previous) {
    const member = members.find((m) => m.memberId === memberId)
    if (member === undefined) continue
    for (const key of keys) {
      const p = partitions.find((x) => partitionKey(x.topicId, x.partition) === key)
      if (p !== undefined && member.topics.has(p.topicId)) {
        owner.set(key, memberId)
        result.get(memberId)!.add(key)
      }
    }
  }
  const load = (memberId: string) => result.get(memberId)!.size
  for (const p of partitions) {
    const key = partitionKey(p.topicId, p.partition)
    if (owner.has(key)) continue
    const candidates = eligible(p)
    if (candidates.length === 0) continue
    const least = candidates.reduce((best, m) => (load(m.memberId) < load(best.memberId) ? m : best))
    owner.set(key, least.memberId)
    result.get(least.memberId)!.add(key)
  }
  // Balance: move a partition from a member holding two more than another eligible member, until none does.
  for (let moved = true; moved; ) {
    moved = false
    for (const p of partitions) {
      const key = partitionKey(p.topicId, p.partition)
      const from = owner.get(key)
      if (from === undefined) continue
      const to = eligible(p).find((m) => load(m.memberId) < load(from) - 1)
      if (to === undefined) continue
      result.get(from)!.delete(key)
      result.get(to.memberId)!.add(key)
      owner.set(key, to.memberId)
      moved = true
    }
  }
  return result
}
