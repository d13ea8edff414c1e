import { describe, expect, it } from 'vitest'
import { kafkaBootstrap } from '../src/testing/kafka-bootstrap.ts'
import { runDemo } from './demo.ts'

describe('demo', () => {
  it('a SIGKILLed member loses no order; the only repeats are what it billed after its last commit', async () => {
    const output: string[] = []
    const result = await runDemo(kafkaBootstrap(), {
      orders: 30_000,
      write: (text) => output.push(text),
      timeoutMs: 150_000,
    })
    expect(result.lost).toBe(0)
    expect(result.distinct).toBe(result.produced)
    // A commit the victim sent just before it died can still land after the demo read the offsets: at most.
    expect(result.duplicated).toBeLessThanOrEqual(result.billedAfterLastCommit)
    expect(output.join('')).toContain('lost             0')
  }, 180_000)
})
