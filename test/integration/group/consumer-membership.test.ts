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

// KIP-848: the broker assigns; session timeout and heartbeat interval are broker-side group configs.
describe("consumer group membership with groupProtocol 'consumer'", () => {
  const members: TestMember[] = []
  afterEach(async () => {
    await Promise.all(members.splice(0).map((member) => member.close()))
  })

  it('one member takes all, a second splits without revoking what the first keeps, the survivor takes all', async () => {
    const topic = uniqueName('cgroup-split')
    await createTopic(topic, 4)
    const all = partitionsOf(topic, 4)
    const options = { groupId: uniqueName('g'), groupProtocol: 'consumer' as const }

    const first = await startMember(options, [topic])
    members.push(first)
    await waitFor('the first member to own everything', () => first.owned().length === 4)
    expect(first.owned()).toEqual(all)
    expect(first.membership.groupMetadata().generationId).toBeGreaterThan(0)

    const second = await startMember(options, [topic])
    members.push(second)
    await waitFor('the split', () => second.owned().length === 2 && ownedExactlyOnce([first, second], all))
    const kept = first.owned()
    const revoked = first.calls.filter((call) => call.event === 'revoked').flatMap((call) => call.partitions)
    expect(revoked.sort()).toEqual(second.owned())
    expect(revoked.some((tp) => kept.includes(tp))).toBe(false)

    await second.close()
    members.pop()
    await waitFor('the survivor to own everything', () => first.owned().length === 4)
    expect(first.owned()).toEqual(all)
    expect(first.calls.some((call) => call.event === 'lost')).toBe(false)
  })

  it('static membership: a restart with the same groupInstanceId gets the same assignment', async () => {
    const topic = uniqueName('cgroup-static')
    await createTopic(topic, 4)
    const groupId = uniqueName('g')
    const options = (instance: string) => ({
      groupId,
      groupProtocol: 'consumer' as const,
      groupInstanceId: instance,
    })

    const a = await startMember(options('instance-a'), [topic])
    members.push(a)
    const b = await startMember(options('instance-b'), [topic])
    members.push(b)
    await waitFor('the split', () => a.owned().length === 2 && b.owned().length === 2)
    const before = b.owned()
    // Whether `a` was first assigned all four partitions depends on how quickly `b` joined; what matters is
    // that `a` is assigned nothing more while `b` restarts.
    const assignedToA = () => a.calls.filter((call) => call.event === 'assigned').flatMap((c) => c.partitions)
    const assignedToABefore = assignedToA().length

    await b.close()
    members.splice(members.indexOf(b), 1)
    const restarted = await startMember(options('instance-b'), [topic])
    members.push(restarted)
    await waitFor('the restarted member to own its partitions', () => restarted.owned().length === 2)
    expect(restarted.owned()).toEqual(before)
    // The partitions waited for their static owner: the other member never took them.
    expect(assignedToA().length).toBe(assignedToABefore)
    expect(a.owned().length).toBe(2)
  })

  it('a RegExp subscription (evaluated by the broker) picks up a new matching topic', async () => {
    const prefix = uniqueName('cgroup-re')
    const firstTopic = `${prefix}.one`
    await createTopic(firstTopic, 2)
    const member = await startMember(
      { groupId: uniqueName('g'), groupProtocol: 'consumer' },
      new RegExp(`${prefix}\\..*`),
    )
    members.push(member)
    await waitFor('the first topic', () => member.owned().length === 2)

    const secondTopic = `${prefix}.two`
    await createTopic(secondTopic, 3)
    await waitFor('the new topic', () => member.owned().length === 5, 60_000)
    expect(member.owned()).toEqual([...partitionsOf(firstTopic, 2), ...partitionsOf(secondTopic, 3)].sort())
  })
})
