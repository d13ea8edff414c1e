import { describe, expect, it } from 'vitest'
import { BufferFullError, ClosedError } from '../../../src/common/errors.ts'
import { BufferMemory } from '../../../src/producer/buffer-memory.ts'

describe('BufferMemory', () => {
  it('reserves without waiting while there is room', async () => {
    const memory = new BufferMemory(100)
    expect(memory.tryReserve(60)).toBe(true)
    expect(memory.tryReserve(50)).toBe(false)
    await memory.reserve(40, 0)
    expect(memory.availableBytes).toBe(0)
  })

  it('rejects with BufferFullError after maxBlockMs when nothing is released', async () => {
    const memory = new BufferMemory(100)
    memory.tryReserve(100)
    const started = Date.now()
    await expect(memory.reserve(10, 50)).rejects.toBeInstanceOf(BufferFullError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(45)
    expect(memory.waiting).toBe(0)
    expect(memory.availableBytes).toBe(0)
  })

  it('lets waiters in oldest first as memory is released', async () => {
    const memory = new BufferMemory(100)
    memory.tryReserve(100)
    const order: string[] = []
    const big = memory.reserve(80, 1000).then(() => order.push('big'))
    const small = memory.reserve(10, 1000).then(() => order.push('small'))
    // A newcomer does not jump the queue even though 10 bytes would fit after the first release.
    memory.release(30)
    expect(memory.tryReserve(5)).toBe(false)
    memory.release(70)
    await Promise.all([big, small])
    expect(order).toEqual(['big', 'small'])
    expect(memory.availableBytes).toBe(10)
  })

  it('fails at once for a record that can never fit', async () => {
    const memory = new BufferMemory(100)
    await expect(memory.reserve(101, 10_000)).rejects.toThrow(/can never fit/)
  })

  it('fails waiters when closed', async () => {
    const memory = new BufferMemory(10)
    memory.tryReserve(10)
    const waiting = memory.reserve(5, 10_000)
    memory.close()
    await expect(waiting).rejects.toBeInstanceOf(ClosedError)
    await expect(memory.reserve(1, 0)).rejects.toBeInstanceOf(ClosedError)
  })
})
