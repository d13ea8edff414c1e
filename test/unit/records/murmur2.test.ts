import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { murmur2, murmur2Partition, toPositive } from '../../../src/producer/partitioners/murmur2.ts'
import { parseJsonLines } from '../../../tools/java-fixtures/java-view.ts'

interface Vector {
  keyHex: string
  murmur2: number
  toPositive: number
}

// Computed by org.apache.kafka.common.utils.Utils.murmur2 (see test/fixtures/records/README.md).
const vectors = parseJsonLines<Vector>(
  readFileSync(new URL('../../fixtures/records/murmur2.jsonl', import.meta.url), 'utf8'),
)

describe('murmur2', () => {
  it('has vectors for key-0..key-99, the empty key, unicode and high bytes', () => {
    const keys = vectors.map((v) => Buffer.from(v.keyHex, 'hex').toString('utf8'))
    expect(keys).toContain('key-0')
    expect(keys).toContain('key-99')
    expect(keys).toContain('')
    expect(keys).toContain('Ünïcødé ключ 键 🔑')
    expect(vectors.length).toBeGreaterThan(105)
  })

  it('hashes every key exactly as the Java client does', () => {
    for (const vector of vectors) {
      const key = Buffer.from(vector.keyHex, 'hex')
      expect({ key: vector.keyHex, hash: murmur2(key) }).toEqual({ key: vector.keyHex, hash: vector.murmur2 })
      expect(toPositive(murmur2(key))).toBe(vector.toPositive)
    }
  })

  it('picks the partition the Java default partitioner picks', () => {
    for (const vector of vectors) {
      const key = Buffer.from(vector.keyHex, 'hex')
      for (const partitions of [1, 3, 7, 12, 100]) {
        expect(murmur2Partition(key, partitions)).toBe(vector.toPositive % partitions)
      }
    }
  })

  it('clears only the sign bit in toPositive, so the minimum int maps to 0', () => {
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(12345)).toBe(12345)
  })
})
