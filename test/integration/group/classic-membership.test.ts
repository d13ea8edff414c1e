import { afterEach, describe, expect, it } from 'vitest'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import {
  createTopic,
  ownedExactlyOnce,
  partitionsOf,
  startMember,
  type TestMember,
  waitFor,
} from './group-kit.ts'

const timing = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000 }

describe('classic group membership', () => {
  const members: TestMember[] = []
  afterEach(async () => {
    await Promise.all(members.splice(0).map((member) => member.close()))
  })

  for (const assignor of ['range', 'roundrobin', 'cooperative-sticky'] as const) {
    it(`${assignor}: one member takes all, a second splits, the survivor takes all again`, async () => {
      const topic = uniqueName('group-split')
      await createTopic(topic, 4)
      const all = partitionsOf(topic, 4)
      const groupId = uniqueName('g')
      const options = { groupId, assignors: [assignor], ...timing }

      const first = await startMember(options, [topic])
      members.push(first)
      await waitFor('the first member to own everything', () => first.owned().length === 4)
      expect(first.owned()).toEqual(all)

      const second = await startMember(options, [topic])
      members.push(second)
      await waitFor(
        'the partitions to split',
        () =>
          first.owned().length === 2 && second.owned().length === 2 && ownedExactlyOnce([first, second], all),
      )
      expect(first.membership.groupMetadata().generationId).toBe(
        second.membership.groupMetadata().generationId,
      )

      await second.close()
      members.pop()
      await waitFor('the survivor to own everything', () => first.owned().length === 4)
      expect(first.owned()).toEqual(all)
    })
  }

  it('cooperative-sticky: the first member keeps what it keeps and is never made to revoke it', async () => {
    const topic = uniqueName('group-coop')
    await createTopic(topic, 6)
    const all = partitionsOf(topic, 6)
    const options = { groupId: uniqueName('g'), assignors: ['cooperative-sticky' as const], ...timing }

    const first = await startMember(options, [topic])
    members.push(first)
    await waitFor('the first member to own everything', () => first.owned().length === 6)

    const second = await startMember(options, [topic])
    members.push(second)
    await waitFor('the split', () => second.owned().length === 3 && ownedExactlyOnce([first, second], all))

    const kept = first.owned()
    const revoked = first.calls.filter((call) => call.event === 'revoked').flatMap((call) => call.partitions)
    // Exactly what moved to the second member was revoked, and nothing the first member kept.
    expect(revoked.sort()).toEqual(second.owned())
    expect(revoked.some((tp) => kept.includes(tp))).toBe(false)
    // The second member got its partitions in one go, after the first gave them up.
    expect(second.calls.filter((c) => c.event === 'assigned').flatMap((c) => c.partitions)).toEqual(
      second.owned(),
    )
    expect(first.calls.some((call) => call.event === 'lost')).toBe(false)
  })

  it('static membership: a restart within the session timeout gets the same assignment without a rebalance', async () => {
    const topic = uniqueName('group-static')
    await createTopic(topic, 4)
    const groupId = uniqueName('g')
    const options = (instance: string) => ({
      groupId,
      groupInstanceId: instance,
      assignors: ['range' as const],
      ...timing,
    })

    const a = await startMember(options('instance-a'), [topic])
    members.push(a)
    const b = await startMember(options('instance-b'), [topic])
    members.push(b)
    await waitFor('the split', () => a.owned().length === 2 && b.owned().length === 2)
    const before = b.owned()
    const generation = a.membership.groupMetadata().generationId
    // Only what happens from here on matters: how the split itself went depends on join timing.
    const callsBeforeRestart = a.calls.length

    // A static member does not leave on close; its place waits for it for the session timeout.
    await b.close()
    members.splice(members.indexOf(b), 1)
    const restarted = await startMember(options('instance-b'), [topic])
    members.push(restarted)
    await waitFor('the restarted member to own its partitions', () => restarted.owned().length === 2)
    expect(restarted.owned()).toEqual(before)
    // The other member saw no rebalance: same generation, and never revoked anything.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(a.membership.groupMetadata().generationId).toBe(generation)
    expect(a.calls.slice(callsBeforeRestart)).toEqual([])
  })

  it('a RegExp subscription picks up a new matching topic after a metadata refresh', async () => {
    const prefix = uniqueName('group-re')
    const firstTopic = `${prefix}.one`
    await createTopic(firstTopic, 2)
    const pattern = new RegExp(`${prefix.replaceAll('-', '\\-')}\\..*`)
    const member = await startMember({ groupId: uniqueName('g'), ...timing }, pattern, {
      metadataMaxAgeMs: 1000,
    })
    members.push(member)
    await waitFor('the first topic', () => member.owned().length === 2)
    expect(member.owned()).toEqual(partitionsOf(firstTopic, 2))

    const secondTopic = `${prefix}.two`
    await createTopic(secondTopic, 3)
    await waitFor('the new topic', () => member.owned().length === 5)
    expect(member.owned()).toEqual([...partitionsOf(firstTopic, 2), ...partitionsOf(secondTopic, 3)].sort())
  })
})
