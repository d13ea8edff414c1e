/**
 * A classic group's rebalance timeout, measured on the in-process broker's clock: a member that does not
 * rejoin a rebalance within its rebalance timeout is dropped and the rebalance completes without it, at the
 * moment the test advances the clock. Then the dropped member (a samsa consumer that was not polled) finds
 * out when polled again and reports its partitions lost.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { ErrorCode } from '../../../src/protocol/errors/error-codes.ts'
import {
  createJoinGroupRequest,
  createJoinGroupRequestProtocol,
  JoinGroup,
  type JoinGroupResponse,
} from '../../../src/protocol/messages/join-group.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/index.ts'

const TOPIC = 'classic-rebalance-timeout'
const GROUP = 'classic-rebalance-timeout-group'
const REBALANCE_TIMEOUT_MS = 20_000

let broker: TestBroker
let cluster: Cluster

beforeAll(async () => {
  broker = await startTestBroker({ topics: [{ topic: TOPIC, partitions: 2 }] })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'classic-rebalance-timeout' })
})

afterAll(async () => {
  await cluster.close()
  expect(broker.requestErrors).toEqual([])
  await broker.close()
})

/** A second member joining by hand, so the test decides when it joins and sees the answer. */
async function join(memberId: string): Promise<JoinGroupResponse> {
  const own = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'classic-rebalance-timeout-joiner' })
  const connection = await own.coordinatorConnection('group', GROUP)
  return connection
    .request(
      JoinGroup,
      createJoinGroupRequest({
        groupId: GROUP,
        sessionTimeoutMs: 60_000,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId,
        protocolType: 'consumer',
        protocols: [
          createJoinGroupRequestProtocol({ name: 'cooperative-sticky', metadata: Buffer.alloc(0) }),
        ],
      }),
      { timeoutMs: 60_000 },
    )
    .finally(() => own.close())
}

it('a member that misses the rebalance is dropped when the clock passes the rebalance timeout', async () => {
  const lost: number[] = []
  const stuck = new Consumer(cluster, {
    groupId: GROUP,
    groupProtocol: 'classic',
    rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
    sessionTimeoutMs: 60_000,
    // Heartbeats often, so the member hears it was dropped soon after; it rejoins only when polled.
    heartbeatIntervalMs: 100,
  })
  stuck.subscribe([TOPIC], {
    onPartitionsLost: (partitions) => {
      for (const p of partitions) lost.push(p.partition)
    },
  })
  while (stuck.assignment().length < 2) await stuck.poll({ timeoutMs: 50 })
  const group = broker.server.state.groups.classic(GROUP)!
  const generation = group.generationId

  // Another member joins; the stuck one is not polled, so it never rejoins.
  const first = await join('')
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
  const joining = join(first.memberId)
  while (group.state !== 'PreparingRebalance') await new Promise((resolve) => setImmediate(resolve))
  broker.advanceClock(REBALANCE_TIMEOUT_MS + 1000)
  const joined = await joining
  expect(joined.errorCode).toBe(ErrorCode.NONE)
  expect(joined.generationId).toBe(generation + 1)
  expect(joined.leader).toBe(first.memberId)
  expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId])

  // The stuck member learns at its next polls that it was dropped and reports both partitions lost.
  while (lost.length === 0) await stuck.poll({ timeoutMs: 50 })
  expect(lost.sort()).toEqual([0, 1])
  await stuck.close()
})
