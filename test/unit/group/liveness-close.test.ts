import { describe, expect, it } from 'vitest'
import { Liveness } from '../../../src/consumer/group/liveness.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
// Nothing listens here: the worker's connection attempt fails, which is beside the point of these tests.
const connection = {
  clientId: 'liveness-test',
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 1000,
  maxResponseBytes: 1 << 20,
  tls: undefined,
  sasl: undefined,
}

function liveness(groupId: string): Liveness {
  return new Liveness({
    protocol: 'classic',
    groupId,
    groupInstanceId: null,
    maxPollIntervalMs: 300_000,
    connection,
    logger: silent,
    onAnswer() {},
    onPollExpired() {},
  })
}

describe('Liveness.close(): the heartbeat worker exits by itself, never terminated mid-load', () => {
  it('closed at once, while its workers are still loading their module, each exits with code 0', async () => {
    const members = Array.from({ length: 8 }, (_, i) => liveness(`loading-${i}`))
    expect(members.every((member) => member.background)).toBe(true)
    // terminate() would end them with code 1; a stop they read once loaded ends them with 0.
    expect(await Promise.all(members.map((member) => member.close()))).toEqual(Array(8).fill(0))
  })

  it('closed while active and heartbeating for a member, it exits with code 0', async () => {
    const member = liveness('active')
    member.update({
      active: true,
      memberId: 'member-1',
      epoch: 1,
      heartbeatIntervalMs: 10,
      coordinator: { nodeId: 1, host: '127.0.0.1', port: 1 },
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await member.close()).toBe(0)
  })

  it('without a worker there is nothing to wait for', async () => {
    const member = new Liveness({
      protocol: 'classic',
      groupId: 'no-worker',
      groupInstanceId: null,
      maxPollIntervalMs: 300_000,
      connection: undefined,
      logger: silent,
      onAnswer() {},
      onPollExpired() {},
    })
    expect(member.background).toBe(false)
    expect(await member.close()).toBeUndefined()
  })
})
