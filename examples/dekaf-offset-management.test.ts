import { describe, expect, it } from 'vitest'
import { consumeWithStrategy, inspectAndSeek, type Strategy } from './dekaf-offset-management.ts'
import { topicWithRecords, uniqueName } from './example-support.ts'

const values = (n: number) => Array.from({ length: n }, (_, i) => `record-${i}`)

describe('Dekaf offset management', () => {
  for (const strategy of ['per-message', 'batch-of-100', 'periodic'] as Strategy[]) {
    it(`${strategy}: at-least-once — a crash re-delivers, never loses`, async () => {
      const topic = uniqueName('dekaf')
      const groupId = uniqueName('dekaf-group')
      await topicWithRecords(topic, 1, 250)
      const first = await consumeWithStrategy({
        topic,
        groupId,
        strategy,
        periodMs: 20,
        crashOn: 'record-170',
      })
      const second = await consumeWithStrategy({
        topic,
        groupId,
        stopAfter: 'record-249',
        strategy,
        periodMs: 20,
      })
      // Nothing lost: together the runs saw every record, and the second run ends at the log end.
      expect(new Set([...first, ...second])).toEqual(new Set(values(250)))
      expect(second.at(-1)).toBe('record-249')
      // Per message nothing is read twice; per batch the second run starts at the last full batch; periodic
      // re-reads at most what followed the last commit.
      if (strategy === 'per-message') expect(second[0]).toBe('record-170')
      else if (strategy === 'batch-of-100') expect(second[0]).toBe('record-100')
      else expect(Number(second[0]?.slice(7))).toBeLessThanOrEqual(170)
    })
  }

  it('at-most-once: committing before processing loses the message being processed at a crash', async () => {
    const topic = uniqueName('dekaf-amo')
    const groupId = uniqueName('dekaf-group')
    await topicWithRecords(topic, 1, 20)
    const first = await consumeWithStrategy({
      topic,
      groupId,
      expected: 20,
      strategy: 'at-most-once',
      crashOn: 'record-7',
    })
    const second = await consumeWithStrategy({ topic, groupId, expected: 12, strategy: 'at-most-once' })
    expect(first).toEqual(values(7))
    expect(second[0]).toBe('record-8') // record-7 was committed, then "crashed": lost, as the guide warns
  })

  it('committed offset, position, seek, seek to beginning/end, offsets for times', async () => {
    const topic = uniqueName('dekaf-seek')
    const groupId = uniqueName('dekaf-group')
    const since = Date.now() - 1
    await topicWithRecords(topic, 1, 20)
    await consumeWithStrategy({ topic, groupId, expected: 10, strategy: 'per-message' })
    const seen = await inspectAndSeek(topic, groupId, since)
    expect(seen).toEqual({
      committed: 10n,
      startPosition: 10n,
      afterSeek: 5n,
      beginning: 0n,
      end: 20n,
      afterTimeSeek: 0n,
    })
  })
})
