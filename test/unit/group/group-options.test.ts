import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import { resolveGroupOptions } from '../../../src/consumer/group/group-options.ts'

describe('resolveGroupOptions', () => {
  it('returns null without a groupId and rejects group-only options then', () => {
    expect(resolveGroupOptions({})).toBeNull()
    expect(() => resolveGroupOptions({ sessionTimeoutMs: 10_000 })).toThrow(
      /consumer\.sessionTimeoutMs.*groupId/,
    )
  })

  it('applies the documented defaults', () => {
    const resolved = resolveGroupOptions({ groupId: 'g' })!
    expect(resolved).toMatchObject({
      groupId: 'g',
      groupProtocol: 'classic',
      groupInstanceId: null,
      sessionTimeoutMs: 45_000,
      heartbeatIntervalMs: 3000,
      maxPollIntervalMs: 300_000,
      rebalanceTimeoutMs: 300_000,
    })
    expect(resolved.assignors.map((a) => a.name)).toEqual(['cooperative-sticky'])
  })

  it('resolves assignor names in preference order', () => {
    const resolved = resolveGroupOptions({ groupId: 'g', assignors: ['range', 'roundrobin'] })!
    expect(resolved.assignors.map((a) => a.name)).toEqual(['range', 'roundrobin'])
  })

  it('names the option in every error', () => {
    const cases: Array<[object, RegExp]> = [
      [{ groupId: '' }, /consumer\.groupId/],
      [{ groupId: 'g', groupProtocol: 'new' }, /consumer\.groupProtocol/],
      [{ groupId: 'g', assignors: ['sticky'] }, /consumer\.assignors\[0\].*unknown assignor "sticky"/],
      [{ groupId: 'g', assignors: [] }, /consumer\.assignors/],
      [{ groupId: 'g', assignors: ['range', 'range'] }, /listed twice/],
      [
        { groupId: 'g', sessionTimeoutMs: 6000, heartbeatIntervalMs: 6000 },
        /consumer\.heartbeatIntervalMs.*lower/,
      ],
      [{ groupId: 'g', maxPollIntervalMs: 0 }, /consumer\.maxPollIntervalMs/],
      [{ groupId: 'g', groupProtocol: 'consumer', assignors: ['range'] }, /consumer\.assignors.*'consumer'/],
      [{ groupId: 'g', groupProtocol: 'consumer', sessionTimeoutMs: 10_000 }, /consumer\.sessionTimeoutMs/],
      [{ groupId: 'g', remoteAssignor: 'uniform' }, /consumer\.remoteAssignor.*'consumer'/],
    ]
    for (const [options, message] of cases) {
      expect(() => resolveGroupOptions(options)).toThrow(ConfigError)
      expect(() => resolveGroupOptions(options)).toThrow(message)
    }
  })

  it('accepts the consumer protocol with a remote assignor and no client-side assignors', () => {
    const resolved = resolveGroupOptions({
      groupId: 'g',
      groupProtocol: 'consumer',
      remoteAssignor: 'uniform',
    })!
    expect(resolved.assignors).toEqual([])
    expect(resolved.remoteAssignor).toBe('uniform')
  })
})
