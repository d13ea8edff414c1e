import { describe, expect, it } from 'vitest'
import { DefaultPartitioner } from '../../../src/producer/partitioners/default-partitioner.ts'
import { murmur2Partition } from '../../../src/producer/partitioners/murmur2.ts'

describe('DefaultPartitioner', () => {
  it('puts keyed records where the Java client does, over all partitions', () => {
    const partitioner = new DefaultPartitioner()
    const key = Buffer.from('key-42')
    // Even with only partition 0 led, a key keeps its partition.
    expect(partitioner.partition('t', key, 6, [0])).toBe(murmur2Partition(key, 6))
  })

  it('keeps null-key records on one partition until that partition’s batch closes', () => {
    let draw = 0
    const draws = [0.5, 0.0, 0.9]
    const partitioner = new DefaultPartitioner(() => draws[draw++ % draws.length]!)
    const available = [0, 1, 2, 3]
    const first = partitioner.partition('t', null, 4, available)
    expect(first).toBe(2)
    for (let i = 0; i < 10; i++) expect(partitioner.partition('t', null, 4, available)).toBe(first)
    // Another partition's batch closing changes nothing.
    partitioner.batchClosed('t', 0)
    expect(partitioner.partition('t', null, 4, available)).toBe(first)
    partitioner.batchClosed('t', first)
    const second = partitioner.partition('t', null, 4, available)
    expect(second).not.toBe(first)
    expect(available).toContain(second)
  })

  it('never picks the closed partition again right away, whatever the random draw', () => {
    for (const value of [0, 0.25, 0.5, 0.75, 0.999]) {
      const partitioner = new DefaultPartitioner(() => value)
      const first = partitioner.partition('t', null, 4, [0, 1, 2, 3])
      partitioner.batchClosed('t', first)
      expect(partitioner.partition('t', null, 4, [0, 1, 2, 3])).not.toBe(first)
    }
  })

  it('prefers partitions with a leader and tracks topics separately', () => {
    const partitioner = new DefaultPartitioner(() => 0.99)
    expect(partitioner.partition('a', null, 8, [5])).toBe(5)
    expect(partitioner.partition('b', null, 8, [])).toBe(7)
    expect(partitioner.partition('a', null, 8, [5])).toBe(5)
  })

  it('forgets a sticky partition beyond a shrunken partition count', () => {
    const partitioner = new DefaultPartitioner(() => 0.99)
    expect(partitioner.partition('a', null, 8, [])).toBe(7)
    expect(partitioner.partition('a', null, 4, [])).toBe(3)
  })
})
