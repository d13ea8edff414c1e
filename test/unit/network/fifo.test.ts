import { describe, expect, it } from 'vitest'
import { Fifo } from '../../../src/network/fifo.ts'

describe('Fifo', () => {
  it('returns items in insertion order across growth and wrap-around', () => {
    const fifo = new Fifo<number>(2)
    const out: number[] = []
    let next = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3; i++) fifo.push(next++)
      for (let i = 0; i < 2; i++) out.push(fifo.shift()!)
    }
    while (fifo.length > 0) out.push(fifo.shift()!)
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i))
    expect(fifo.shift()).toBeUndefined()
  })

  it('removes an item from the middle and keeps the order of the rest', () => {
    const fifo = new Fifo<string>(4)
    fifo.push('x')
    fifo.shift()
    for (const item of ['a', 'b', 'c', 'd']) fifo.push(item)
    expect(fifo.remove('b')).toBe(true)
    expect(fifo.remove('missing')).toBe(false)
    expect(fifo.peek()).toBe('a')
    expect(fifo.drain()).toEqual(['a', 'c', 'd'])
    expect(fifo.length).toBe(0)
  })

  it('iterates oldest first across wrap-around without removing anything', () => {
    const fifo = new Fifo<number>(4)
    for (const item of [1, 2, 3]) fifo.push(item)
    fifo.shift()
    fifo.shift()
    for (const item of [4, 5, 6]) fifo.push(item)
    expect([...fifo]).toEqual([3, 4, 5, 6])
    expect(fifo.length).toBe(4)
  })
})
