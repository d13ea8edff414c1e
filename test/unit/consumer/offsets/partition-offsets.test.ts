import { describe, expect, it } from 'vitest'
import { encodeCompletedOffsets } from '../../../../src/consumer/offsets/completed-offsets-metadata.ts'
import { PartitionOffsetsTable } from '../../../../src/consumer/offsets/partition-offsets.ts'

const pendingOf = (table: PartitionOffsetsTable) =>
  table.pendingStores().map((o) => [o.partition, o.offset, o.leaderEpoch])

describe('PartitionOffsets', () => {
  it('moves the position as records are handed out, and the fetch position as data arrives', () => {
    const table = new PartitionOffsetsTable()
    const record = table.open('t', 0)
    record.seek({ offset: 10n, leaderEpoch: 2 })
    record.fetched(40n, 3)
    expect(record.fetchOffset).toBe(40n)
    expect(record.fetchEpoch).toBe(3)
    record.handOut(10n, 3)
    record.handOut(11n, -1)
    expect(record.position).toEqual({ offset: 12n, leaderEpoch: 3 })
    // A drained fetch skips markers and aborted records, but never moves the position back.
    record.skipTo(15n, 3)
    record.skipTo(14n, 9)
    expect(record.position).toEqual({ offset: 15n, leaderEpoch: 3 })
    record.refetch()
    expect(record.fetchOffset).toBe(15n)
    record.reset()
    expect(record.position).toBeUndefined()
    expect(record.fetchOffset).toBeUndefined()
  })

  it('stores what was finished, only if it was handed out from this assignment', () => {
    const table = new PartitionOffsetsTable()
    const record = table.open('t', 0)
    record.seek({ offset: 0n, leaderEpoch: undefined })
    expect(record.finish(1n, 4)).toBe(false)
    record.handOut(0n, 4)
    record.handOut(1n, 4)
    expect(record.finish(3n, 4)).toBe(false)
    expect(record.finish(2n, 4)).toBe(true)
    expect(record.finished).toBe(2n)
    expect(pendingOf(table)).toEqual([[0, 2n, 4]])
  })

  it('keeps the newest stored offset per partition until it is handed to a commit', () => {
    const table = new PartitionOffsetsTable()
    table.open('t', 0).store({ topic: 't', partition: 0, offset: 3n })
    table.open('t', 0).store({ topic: 't', partition: 0, offset: 5n, metadata: 'm' })
    table.open('t', 1).store({ topic: 't', partition: 1, offset: 2n })
    expect(table.get('t', 0)?.stored).toEqual({ topic: 't', partition: 0, offset: 5n, metadata: 'm' })
    expect(table.pendingStores().map((o) => [o.partition, o.offset])).toEqual([
      [0, 5n],
      [1, 2n],
    ])
    for (const o of table.pendingStores()) table.get(o.topic, o.partition)?.commitStarted(o.offset, 'async')
    expect(table.pendingStores()).toEqual([])
    table.get('t', 1)?.store({ topic: 't', partition: 1, offset: 4n })
    expect(table.pendingStores().map((o) => [o.partition, o.offset])).toEqual([[1, 4n]])
  })

  it('offers a failed commit again, unless a newer offset was stored and handed on meanwhile', () => {
    const table = new PartitionOffsetsTable()
    const record = table.open('t', 0)
    record.store({ topic: 't', partition: 0, offset: 5n })
    record.commitStarted(5n, 'sync')
    record.commitFailed(5n)
    expect(table.pendingStores().map((o) => o.offset)).toEqual([5n])

    record.commitStarted(5n, 'async')
    record.store({ topic: 't', partition: 0, offset: 8n })
    record.commitStarted(8n, 'async')
    record.commitFailed(5n) // the older commit failing must not re-offer the newer one
    expect(table.pendingStores()).toEqual([])
  })

  it('refuses an async commit below the newest one sent; a sync commit rewinds on purpose', () => {
    const record = new PartitionOffsetsTable().open('t', 0)
    expect(record.commitStarted(10n, 'async')).toBe(true)
    expect(record.commitStarted(7n, 'async')).toBe(false)
    expect(record.commitFloor).toBe(10n)
    expect(record.commitStarted(7n, 'sync')).toBe(true)
    expect(record.commitFloor).toBe(7n)
    // Refused by the coordinator: the floor goes back to what it confirmed, so lower offsets may go out.
    record.commitConfirmed(7n, 1)
    record.commitStarted(20n, 'async')
    record.commitRefused()
    expect(record.commitFloor).toBe(7n)
    expect(record.commitStarted(12n, 'async')).toBe(true)
    expect(record.confirmed).toBe(7n)
    expect(record.confirmedEpoch).toBe(1)
  })

  it('reads the completed-beyond offsets of the confirmed commit from its metadata', () => {
    const record = new PartitionOffsetsTable().open('t', 0)
    expect(record.confirmedCompleted()).toEqual([])
    const metadata = encodeCompletedOffsets(10n, [{ first: 12n, last: 13n }])!
    record.commitConfirmed(10n, undefined, metadata)
    expect(record.confirmedCompleted()).toEqual([{ first: 12n, last: 13n }])
    record.commitConfirmed(14n, undefined, 'someone else’s metadata')
    expect(record.confirmedCompleted()).toEqual([])
  })

  it('forgets a revoked partition entirely; a commit settling later does not bring it back', () => {
    const table = new PartitionOffsetsTable()
    const record = table.open('t', 1)
    record.store({ topic: 't', partition: 1, offset: 1n })
    record.commitStarted(1n, 'sync')
    table.open('t', 0).store({ topic: 't', partition: 0, offset: 1n })
    table.revoke({ topic: 't', partition: 1 })
    record.commitConfirmed(1n, undefined)
    record.store({ topic: 't', partition: 1, offset: 9n })
    expect(record.revoked).toBe(true)
    expect(record.confirmed).toBeUndefined()
    expect(record.stored).toBeUndefined()
    expect(table.get('t', 1)).toBeUndefined()
    expect(table.pendingStores().map((o) => o.partition)).toEqual([0])
    // Assigned again, the partition starts from nothing: no floor keeps a lower async commit out.
    const again = table.open('t', 1)
    expect(again).not.toBe(record)
    expect(again.commitStarted(0n, 'async')).toBe(true)
  })

  it('looks up the committed start position once per assignment, again after a failed lookup', () => {
    const table = new PartitionOffsetsTable()
    const record = table.open('t', 0)
    expect(record.needsCommittedLookup).toBe(true)
    record.committedLookupStarted()
    expect(record.needsCommittedLookup).toBe(false)
    record.committedLookupFailed()
    expect(record.needsCommittedLookup).toBe(true)
    record.committedLookupStarted()
    table.revoke(record)
    expect(table.open('t', 0).needsCommittedLookup).toBe(true)
  })
})
