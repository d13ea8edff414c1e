import { describe, expect, it } from 'vitest'
import { kafkaBootstrap } from '../src/testing/kafka-bootstrap.ts'
import { runDemo } from './demo.ts'

describe('demo', () => {
  it('loses no order across a crash and repeats only what was processed after the last commit', async () => {
    const result = await runDemo(kafkaBootstrap())
    expect(result.distinctProcessed).toBe(result.produced)
    expect(result.committedBeforeCrash).toBe(12_000n)
    expect(result.reprocessed).toBe(result.processedBeforeCrash - Number(result.committedBeforeCrash))
    expect(result.processedAfterRestart).toBe(result.produced - Number(result.committedBeforeCrash))
  }, 180_000)
})
