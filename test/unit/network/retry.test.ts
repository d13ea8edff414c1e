import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../../src/cluster/backoff.ts'
import { retry } from '../../../src/cluster/retry.ts'
import { BrokerError, ConfigError, ConnectionError } from '../../../src/common/errors.ts'

const fast = { backoffMs: 1, backoffMaxMs: 2 }

describe('backoffDelay', () => {
  it('doubles per attempt, stays within ±20% jitter and never exceeds the cap', () => {
    expect(backoffDelay(0, 100, 1000, () => 0.5)).toBe(100)
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(800)
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(80)
    expect(backoffDelay(0, 100, 1000, () => 1)).toBe(120)
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000)
    expect(backoffDelay(1000, 100, 1000, () => 0)).toBe(800)
  })
})

describe('retry', () => {
  it('retries retriable errors and returns the first success', async () => {
    const seen: number[] = []
    const result = await retry(
      async (attempt) => {
        seen.push(attempt)
        if (attempt < 2) throw new ConnectionError('broken')
        return 'ok'
      },
      { retries: 5, ...fast },
    )
    expect(result).toBe('ok')
    expect(seen).toEqual([0, 1, 2])
  })

  it('gives up after the limit with the last error', async () => {
    let calls = 0
    const failure = retry(
      async () => {
        calls++
        throw new BrokerError(`not leader ${calls}`, 6, 'NOT_LEADER_OR_FOLLOWER', { retriable: true })
      },
      { retries: 3, ...fast },
    )
    await expect(failure).rejects.toThrow('not leader 4')
    expect(calls).toBe(4)
  })

  it('never retries a non-retriable error', async () => {
    let calls = 0
    const failure = retry(
      async () => {
        calls++
        throw new ConfigError('acks', 'bad')
      },
      { retries: 3, ...fast },
    )
    await expect(failure).rejects.toBeInstanceOf(ConfigError)
    expect(calls).toBe(1)
  })

  it('runs onRetriable before each retry with the error and the next attempt number', async () => {
    const hooks: string[] = []
    await retry(
      async (attempt) => {
        if (attempt < 2) throw new ConnectionError(`attempt ${attempt}`)
        return attempt
      },
      { retries: 2, ...fast, onRetriable: (error, next) => void hooks.push(`${error.message} -> ${next}`) },
    )
    expect(hooks).toEqual(['attempt 0 -> 1', 'attempt 1 -> 2'])
  })
})
