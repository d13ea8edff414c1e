import { describe, expect, it } from 'vitest'
import { OffsetStore } from '../../../src/consumer/offsets/offset-store.ts'

const owned = () => true

describe('OffsetStore', () => {
  it('keeps the newest stored offset per partition until it is handed to a commit', () => {
    const store = new OffsetStore()
    store.store({ topic: 't', partition: 0, offset: 3n })
    store.store({ topic: 't', partition: 0, offset: 5n })
    store.store({ topic: 't', partition: 1, offset: 2n })
    expect(store.get({ topic: 't', partition: 0 })?.offset).toBe(5n)
    const pending = store.uncommitted(owned)
    expect(pending.map((o) => [o.partition, o.offset])).toEqual([
      [0, 5n],
      [1, 2n],
    ])
    store.markCommitted(pending)
    expect(store.uncommitted(owned)).toEqual([])
    store.store({ topic: 't', partition: 1, offset: 4n })
    expect(store.uncommitted(owned).map((o) => [o.partition, o.offset])).toEqual([[1, 4n]])
  })

  it('offers a failed commit again, unless a newer offset was stored and handed on meanwhile', () => {
    const store = new OffsetStore()
    const first = { topic: 't', partition: 0, offset: 5n }
    store.store(first)
    store.markCommitted([first])
    store.markFailed([first])
    expect(store.uncommitted(owned)).toEqual([first])

    const newer = { topic: 't', partition: 0, offset: 8n }
    store.markCommitted([first])
    store.store(newer)
    store.markCommitted([newer])
    store.markFailed([first]) // the older commit failing must not re-offer the newer one
    expect(store.uncommitted(owned)).toEqual([])
  })

  it('leaves out partitions no longer owned, and forgets revoked ones entirely', () => {
    const store = new OffsetStore()
    store.store({ topic: 't', partition: 0, offset: 1n })
    store.store({ topic: 't', partition: 1, offset: 1n })
    expect(store.uncommitted((tp) => tp.partition === 1).map((o) => o.partition)).toEqual([1])
    store.forget([{ topic: 't', partition: 1 }])
    expect(store.get({ topic: 't', partition: 1 })).toBeUndefined()
    expect(store.uncommitted(owned).map((o) => o.partition)).toEqual([0])
  })
})
