import { describe, expect, it } from 'vitest'
import type { TopicPartition } from '../../../src/common/types.ts'
import type { GroupAssignment, MemberSubscription } from '../../../src/consumer/group/assignors/assignor.ts'
import { CooperativeStickyAssignor } from '../../../src/consumer/group/assignors/cooperative-sticky.ts'
import { RangeAssignor } from '../../../src/consumer/group/assignors/range.ts'
import { rebalanceProtocolOf } from '../../../src/consumer/group/assignors/registry.ts'
import { RoundRobinAssignor } from '../../../src/consumer/group/assignors/round-robin.ts'

function member(
  memberId: string,
  topics: string[],
  extra: Partial<Omit<MemberSubscription, 'memberId' | 'topics'>> = {},
): MemberSubscription {
  return {
    memberId,
    topics,
    groupInstanceId: null,
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
    ...extra,
  }
}

function tps(spec: string): TopicPartition[] {
  if (spec === '') return []
  return spec.split(' ').map((entry) => {
    const at = entry.lastIndexOf('-')
    return { topic: entry.slice(0, at), partition: Number(entry.slice(at + 1)) }
  })
}

/** The assignment as `{ member: 'topic-partition ...' }`, the notation the Java client prints. */
function render(assignment: GroupAssignment): Record<string, string> {
  return Object.fromEntries(
    [...assignment].map(([id, list]) => [id, list.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')]),
  )
}

// Expected results below follow from each algorithm's definition and were cross-checked against the Java
// client's assignors (kafka-clients 4.3.1) run on the same inputs.

describe('RangeAssignor', () => {
  const range = new RangeAssignor()

  it('gives each member a contiguous range per topic, the first members taking the remainder', () => {
    const result = range.assign({
      partitionsPerTopic: new Map([
        ['t1', 3],
        ['t2', 3],
      ]),
      members: [member('m2', ['t1', 't2']), member('m1', ['t1', 't2'])],
    })
    expect(render(result)).toEqual({ m1: 't1-0 t1-1 t2-0 t2-1', m2: 't1-2 t2-2' })
  })

  it('orders static members first by instance id, then dynamic members by member id, per topic subscribers', () => {
    const result = range.assign({
      partitionsPerTopic: new Map([
        ['t1', 5],
        ['t2', 2],
      ]),
      members: [
        member('m-b', ['t1', 't2'], { groupInstanceId: 'z' }),
        member('m-a', ['t1']),
        member('m-c', ['t1', 't2'], { groupInstanceId: 'a' }),
      ],
    })
    expect(render(result)).toEqual({ 'm-c': 't1-0 t1-1 t2-0', 'm-b': 't1-2 t1-3 t2-1', 'm-a': 't1-4' })
  })

  it('ignores topics without metadata and answers every member', () => {
    const result = range.assign({
      partitionsPerTopic: new Map([['t1', 1]]),
      members: [member('m1', ['t1', 'missing']), member('m2', ['t1'])],
    })
    expect(render(result)).toEqual({ m1: 't1-0', m2: '' })
  })
})

describe('RoundRobinAssignor', () => {
  const roundRobin = new RoundRobinAssignor()

  it('deals partitions in topic order, skipping members not subscribed to the topic', () => {
    const result = roundRobin.assign({
      partitionsPerTopic: new Map([
        ['t1', 3],
        ['t2', 2],
      ]),
      members: [member('m1', ['t1', 't2']), member('m2', ['t2']), member('m3', ['t1', 't2'])],
    })
    expect(render(result)).toEqual({ m1: 't1-0 t1-2', m2: 't2-0', m3: 't1-1 t2-1' })
  })

  it('puts static members first', () => {
    const result = roundRobin.assign({
      partitionsPerTopic: new Map([['t1', 4]]),
      members: [member('m-a', ['t1']), member('m-b', ['t1'], { groupInstanceId: 'x' })],
    })
    expect(render(result)).toEqual({ 'm-a': 't1-1 t1-3', 'm-b': 't1-0 t1-2' })
  })
})

describe('CooperativeStickyAssignor', () => {
  const sticky = new CooperativeStickyAssignor()
  const six = new Map([['t', 6]])

  it('encodes the generation in its user data as one int32, like the Java assignor', () => {
    expect(sticky.subscriptionUserData(7).toString('hex')).toBe('00000007')
  })

  it('gives a lone member everything', () => {
    const result = sticky.assign({ partitionsPerTopic: six, members: [member('m1', ['t'])] })
    expect(render(result)).toEqual({ m1: 't-0 t-1 t-2 t-3 t-4 t-5' })
  })

  it('revokes first and assigns in a follow-up rebalance when a member joins', () => {
    const first = sticky.assign({
      partitionsPerTopic: six,
      members: [
        member('m1', ['t'], { ownedPartitions: tps('t-0 t-1 t-2 t-3 t-4 t-5'), generationId: 1 }),
        member('m2', ['t']),
      ],
    })
    // m1 keeps its quota; what moves to m2 is withheld while m1 still owns it.
    expect(render(first)).toEqual({ m1: 't-0 t-1 t-2', m2: '' })

    const second = sticky.assign({
      partitionsPerTopic: six,
      members: [
        member('m1', ['t'], { ownedPartitions: first.get('m1')!, generationId: 2 }),
        member('m2', ['t'], { ownedPartitions: [], generationId: 2 }),
      ],
    })
    expect(render(second)).toEqual({ m1: 't-0 t-1 t-2', m2: 't-3 t-4 t-5' })
  })

  it('keeps the extra slot with the first member in group order when a third member joins', () => {
    const result = sticky.assign({
      partitionsPerTopic: new Map([['t', 7]]),
      members: [
        member('m1', ['t'], { ownedPartitions: tps('t-0 t-1 t-2 t-3'), generationId: 3 }),
        member('m2', ['t'], { ownedPartitions: tps('t-4 t-5 t-6'), generationId: 3 }),
        member('m3', ['t']),
      ],
    })
    expect(render(result)).toEqual({ m1: 't-0 t-1 t-2', m2: 't-4 t-5', m3: '' })
  })

  it('gives a departed member’s partitions to the survivor at once (nobody owns them)', () => {
    const result = sticky.assign({
      partitionsPerTopic: six,
      members: [member('m1', ['t'], { ownedPartitions: tps('t-0 t-1 t-2'), generationId: 4 })],
    })
    expect(render(result)).toEqual({ m1: 't-0 t-1 t-2 t-3 t-4 t-5' })
  })

  it('ignores ownership claimed in an older generation', () => {
    const result = sticky.assign({
      partitionsPerTopic: new Map([['t', 4]]),
      members: [
        member('m1', ['t'], { ownedPartitions: tps('t-0 t-1'), generationId: 5 }),
        member('m2', ['t'], { ownedPartitions: tps('t-0 t-2 t-3'), generationId: 4 }),
      ],
    })
    expect(render(result)).toEqual({ m1: 't-0 t-1', m2: 't-2 t-3' })
  })

  it('reads the generation from user data when the subscription predates v2', () => {
    const result = sticky.assign({
      partitionsPerTopic: new Map([['t', 4]]),
      members: [
        member('m1', ['t'], { ownedPartitions: tps('t-2 t-3'), userData: sticky.subscriptionUserData(9) }),
        member('m2', ['t'], { ownedPartitions: tps('t-0 t-1'), userData: sticky.subscriptionUserData(8) }),
      ],
    })
    // m2's claims are from generation 8, older than m1's 9, so they are void and nothing is withheld from m1
    // except what m2 still lists as owned.
    expect(render(result)).toEqual({ m1: 't-2 t-3', m2: 't-0 t-1' })
  })

  it('balances members with different subscriptions over the topics each can take', () => {
    const result = sticky.assign({
      partitionsPerTopic: new Map([
        ['a', 3],
        ['b', 3],
      ]),
      members: [member('m1', ['a', 'b']), member('m2', ['b'])],
    })
    expect(render(result)).toEqual({ m1: 'a-0 a-1 a-2', m2: 'b-0 b-1 b-2' })
  })

  it('converges, balanced and with every partition owned once, through joins and leaves', () => {
    const partitionsPerTopic = new Map([
      ['x', 7],
      ['y', 5],
    ])
    let owned = new Map<string, TopicPartition[]>()
    let generation = 0
    const rebalance = (memberIds: string[]) => {
      // Members that left own nothing any more.
      owned = new Map([...owned].filter(([id]) => memberIds.includes(id)))
      // Repeat rebalances until the assignment is stable, as members do when they see revocations.
      for (let round = 0; round < 4; round++) {
        generation++
        const result = sticky.assign({
          partitionsPerTopic,
          members: memberIds.map((id) =>
            member(id, ['x', 'y'], { ownedPartitions: owned.get(id) ?? [], generationId: generation - 1 }),
          ),
        })
        for (const [id, list] of result) {
          const before = new Set((owned.get(id) ?? []).map((tp) => `${tp.topic}-${tp.partition}`))
          // Cooperative invariant: nothing is both kept by its old owner and given to a new one.
          for (const tp of list) {
            const elsewhere = [...owned].some(
              ([other, l]) =>
                other !== id && l.some((o) => o.topic === tp.topic && o.partition === tp.partition),
            )
            expect(elsewhere && !before.has(`${tp.topic}-${tp.partition}`)).toBe(false)
          }
        }
        const changed = [...result].some(
          ([id, list]) =>
            render(new Map([[id, list]]))[id] !== render(new Map([[id, owned.get(id) ?? []]]))[id],
        )
        owned = result
        if (!changed) return round
      }
      return Number.POSITIVE_INFINITY
    }
    for (const members of [['a'], ['a', 'b'], ['a', 'b', 'c'], ['b', 'c'], ['b', 'c', 'd', 'e']]) {
      expect(rebalance(members)).toBeLessThanOrEqual(2)
      const all = [...owned.values()].flat().map((tp) => `${tp.topic}-${tp.partition}`)
      expect(all.sort()).toEqual(
        [...Array(7).keys()]
          .map((p) => `x-${p}`)
          .concat([...Array(5).keys()].map((p) => `y-${p}`))
          .sort(),
      )
      const sizes = [...owned.values()].map((list) => list.length)
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    }
  })
})

describe('rebalanceProtocolOf', () => {
  it('is cooperative only when every offered assignor supports it (the Java rule)', () => {
    expect(rebalanceProtocolOf([new CooperativeStickyAssignor()])).toBe('cooperative')
    expect(rebalanceProtocolOf([new RangeAssignor(), new CooperativeStickyAssignor()])).toBe('eager')
  })
})
