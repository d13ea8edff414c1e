/**
 * Random sequences of what a consumer does to its partitions' offsets — seek, hand out, finish, store, commit
 * (sync and async), the coordinator confirming or refusing, revoke and reassign — checked after every step
 * against the invariants partition-offsets.ts promises, with a small independent model of what was handed out,
 * given explicitly and committed.
 */

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CommitMode,
  type PartitionOffsets,
  PartitionOffsetsTable,
} from '../../../../src/consumer/offsets/partition-offsets.ts'

const PARTITIONS = 3
const partition = fc.integer({ min: 0, max: PARTITIONS - 1 })
const offset = fc.bigInt({ min: 0n, max: 60n })
const mode = fc.constantFrom<CommitMode>('sync', 'async')

const operation = fc.oneof(
  fc.record({ kind: fc.constant('seek' as const), partition, offset }),
  fc.record({ kind: fc.constant('handOut' as const), partition, epoch: fc.integer({ min: -1, max: 3 }) }),
  fc.record({ kind: fc.constant('finishHanded' as const), partition, pick: fc.nat() }),
  fc.record({ kind: fc.constant('finishAny' as const), partition, offset }),
  fc.record({ kind: fc.constant('finishNear' as const), partition, delta: fc.bigInt({ min: -2n, max: 2n }) }),
  fc.record({ kind: fc.constant('store' as const), partition, offset }),
  fc.record({ kind: fc.constant('commitPending' as const), mode }),
  fc.record({ kind: fc.constant('commit' as const), partition, offset, mode }),
  fc.record({ kind: fc.constant('confirm' as const), partition }),
  fc.record({ kind: fc.constant('refuse' as const), partition }),
  fc.record({ kind: fc.constant('fail' as const), partition }),
  fc.record({ kind: fc.constant('revoke' as const), partition }),
  fc.record({ kind: fc.constant('assign' as const), partition }),
)

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never

/** What the test itself remembers of one assignment of a partition. */
interface Model {
  record: PartitionOffsets
  /** Offsets handed out since assignment. */
  handed: bigint[]
  /** The last offset the application stored explicitly, if its store is the current one. */
  explicit: bigint | undefined
  /** Commits admitted and not settled yet, oldest first (commits are serialized). */
  inFlight: bigint[]
  floor: bigint | undefined
  confirmed: bigint | undefined
}

function run(operations: readonly Operation[]): void {
  const table = new PartitionOffsetsTable()
  const live = new Map<number, Model>()
  const revoked: PartitionOffsets[] = []
  const assign = (p: number): Model => {
    let model = live.get(p)
    if (model === undefined) {
      model = {
        record: table.open('t', p),
        handed: [],
        explicit: undefined,
        inFlight: [],
        floor: undefined,
        confirmed: undefined,
      }
      live.set(p, model)
    }
    return model
  }
  for (let p = 0; p < PARTITIONS; p++) assign(p)

  const start = (model: Model, o: bigint, m: CommitMode): void => {
    const before = model.floor
    const admitted = model.record.commitStarted(o, m)
    // The rule under test: an async commit is admitted only if it does not go below the newest one sent.
    expect(admitted).toBe(m === 'sync' || before === undefined || o >= before)
    if (admitted) {
      model.floor = o
      model.inFlight.push(o)
    }
  }

  for (const op of operations) {
    if (op.kind === 'commitPending') {
      for (const pending of table.pendingStores()) {
        const model = live.get(pending.partition)!
        // Auto-commit sends only what was finished (so handed out) or what the application gave explicitly.
        const handedEnd = model.handed.reduce((a, b) => (b + 1n > a ? b + 1n : a), -1n)
        expect(pending.offset === model.explicit || pending.offset <= handedEnd).toBe(true)
        start(model, pending.offset, op.mode)
      }
    } else if (op.kind === 'assign') {
      assign(op.partition)
    } else {
      const model = live.get(op.partition)
      if (model === undefined) continue
      const record = model.record
      switch (op.kind) {
        case 'seek':
          record.seek({ offset: op.offset, leaderEpoch: undefined })
          break
        case 'handOut': {
          const at = record.positionOffset
          if (at === undefined) break
          record.handOut(at, op.epoch)
          model.handed.push(at)
          expect(record.positionOffset).toBe(at + 1n)
          break
        }
        case 'finishHanded': {
          if (model.handed.length === 0) break
          const handedOut = model.handed[op.pick % model.handed.length]!
          expect(record.finish(handedOut + 1n, -1)).toBe(true)
          model.explicit = undefined
          break
        }
        case 'finishAny':
        case 'finishNear': {
          const handedEnd = model.handed.reduce((a, b) => (b + 1n > a ? b + 1n : a), -1n)
          // Around the end of what was handed out, where an off-by-one would hide.
          const at = op.kind === 'finishAny' ? op.offset : handedEnd + op.delta
          if (at < 0n) break
          const accepted = record.finish(at, -1)
          expect(accepted).toBe(at <= handedEnd)
          if (accepted) model.explicit = undefined
          break
        }
        case 'store':
          record.store({ topic: 't', partition: op.partition, offset: op.offset })
          model.explicit = op.offset
          break
        case 'commit':
          start(model, op.offset, op.mode)
          break
        case 'confirm': {
          const o = model.inFlight.shift()
          if (o === undefined) break
          record.commitConfirmed(o, undefined)
          model.confirmed = o
          break
        }
        case 'refuse':
          if (model.inFlight.shift() === undefined) break
          record.commitRefused()
          model.floor = model.confirmed
          break
        case 'fail': {
          const o = model.inFlight.shift()
          if (o !== undefined) record.commitFailed(o)
          break
        }
        case 'revoke':
          table.revoke(record)
          live.delete(op.partition)
          revoked.push(record)
          // A commit of the old assignment settling now must not bring anything back.
          record.commitConfirmed(1n, 0)
          record.store({ topic: 't', partition: op.partition, offset: 5n })
          expect(record.finish(0n, 0)).toBe(false)
          break
      }
    }

    for (const model of live.values()) {
      model.record.checkInvariants()
      expect(model.record.commitFloor).toBe(model.floor)
      expect(model.record.confirmed).toBe(model.confirmed)
      expect(table.get('t', model.record.partition)).toBe(model.record)
    }
    for (const record of revoked) {
      record.checkInvariants()
      expect(record.revoked).toBe(true)
      expect([record.stored, record.pendingStore, record.confirmed, record.commitFloor]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ])
      expect(table.get('t', record.partition)).not.toBe(record)
    }
    for (const pending of table.pendingStores()) expect(live.has(pending.partition)).toBe(true)
  }
}

describe('PartitionOffsets under random operation sequences', () => {
  it('never stores beyond what was handed out or given, never rewinds async, forgets revoked partitions', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 10, maxLength: 100, size: 'max' }), (operations) =>
        run(operations),
      ),
      { numRuns: 250 },
    )
  }, 60_000)
})
