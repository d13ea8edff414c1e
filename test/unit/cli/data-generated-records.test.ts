import { describe, expect, it } from 'vitest'
import { GeneratedValues, generatedKey } from '../../../src/cli/data/generated-records.ts'

describe('generated records', () => {
  it('names keys key-<i>', () => {
    expect(generatedKey(0)).toBe('key-0')
    expect(generatedKey(99_999)).toBe('key-99999')
  })

  it('makes values of exactly the requested size that start with the index', () => {
    const values = new GeneratedValues(100)
    for (const index of [0, 7, 25, 26, 12_345]) {
      const value = values.valueOf(index)
      expect(value.length).toBe(100)
      expect(value.toString('latin1').startsWith(`${index}:`)).toBe(true)
    }
  })

  it('rotates the alphabet by the index so neighbouring values differ', () => {
    const values = new GeneratedValues(10)
    expect(values.valueOf(0).toString()).toBe('0:abcdefgh')
    expect(values.valueOf(1).toString()).toBe('1:bcdefghi')
    expect(values.valueOf(27).toString()).toBe('27:bcdefgh')
  })

  it('truncates the prefix when the size is smaller than it', () => {
    expect(new GeneratedValues(2).valueOf(12_345).toString()).toBe('12')
    expect(new GeneratedValues(0).valueOf(3).length).toBe(0)
  })
})
