import { describe, expect, it } from 'vitest'
import type { MetadataSnapshot } from '../../../src/cluster/metadata.ts'
import type { KafkaError } from '../../../src/common/errors.ts'
import type { FetchCluster } from '../../../src/consumer/consumer-cluster.ts'
import type { AutoOffsetReset } from '../../../src/consumer/consumer-options.ts'
import { NoOffsetForPartitionError } from '../../../src/consumer/no-offset-error.ts'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../../src/consumer/offsets-lookup.ts'
import {
  type CommittedPositions,
  PositionResolver,
  type PositionValidator,
} from '../../../src/consumer/position-resolver.ts'
import { type PartitionState, SubscriptionState } from '../../../src/consumer/subscription-state.ts'
import { ErrorCode } from '../../../src/protocol/errors/error-codes.ts'

const tp0 = { topic: 'orders', partition: 0 }

interface Asked {
  partition: number
  timestamp: bigint
}

/** A one-broker cluster answering ListOffsets with `answer` per asked partition; records what was asked. */
function fakeCluster(
  answer: (asked: Asked) => { errorCode?: number; offset?: bigint; leaderEpoch?: number },
) {
  const asked: Asked[] = []
  const refreshed: string[][] = []
  const metadata = {
    topics: new Map([['orders', { partitions: [{ leaderId: 1, leaderEpoch: 7 }] }]]),
  } as unknown as MetadataSnapshot
  const cluster = {
    currentMetadata: metadata,
    refreshMetadata: async (topics: readonly string[]) => {
      refreshed.push([...topics])
      return metadata
    },
    partition: async () => {
      throw new Error('not used')
    },
    connectionTo: async () => ({
      address: 'fake:9092',
      request: async (
        _api: unknown,
        request: {
          topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint }> }>
        },
      ) => ({
        topics: request.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((p) => {
            const query = { partition: p.partitionIndex, timestamp: p.timestamp }
            asked.push(query)
            const a = answer(query)
            return {
              partitionIndex: p.partitionIndex,
              errorCode: a.errorCode ?? 0,
              offset: a.offset ?? -1n,
              timestamp: -1n,
              leaderEpoch: a.leaderEpoch ?? -1,
            }
          }),
        })),
      }),
    }),
    options: { requestTimeoutMs: 5000, logger: undefined as never },
  } as unknown as FetchCluster
  return { cluster, asked, refreshed }
}

function setUp(options: {
  autoOffsetReset?: AutoOffsetReset
  answer?: (asked: Asked) => { errorCode?: number; offset?: bigint; leaderEpoch?: number }
  committed?: CommittedPositions
  validator?: PositionValidator
}) {
  const autoOffsetReset = options.autoOffsetReset ?? 'earliest'
  const subscriptions = new SubscriptionState(autoOffsetReset)
  subscriptions.assign([tp0])
  const state = subscriptions.get('orders', 0) as PartitionState
  const { cluster, asked, refreshed } = fakeCluster(options.answer ?? (() => ({ offset: 0n })))
  const reported: KafkaError[] = []
  let progress = 0
  let settle: () => void = () => {}
  const resolver = new PositionResolver({
    cluster,
    subscriptions,
    committed: options.committed ?? {
      wantsCommittedOffset: () => false,
      positionFromCommitted: async () => {},
    },
    validator: options.validator,
    options: { autoOffsetReset, isolationLevel: 'read_uncommitted', retryBackoffMs: 100 },
    report: (error) => reported.push(error),
    hasPendingError: (key) => reported.some((e) => `${e.topic}:${e.partition}` === key),
    onProgress: () => {
      progress++
      settle()
    },
  })
  /** Runs update() and waits for the background work it started to report progress. */
  const updateAndSettle = async () => {
    const done = new Promise<void>((resolve) => {
      settle = resolve
    })
    resolver.update()
    await done
  }
  return {
    resolver,
    subscriptions,
    state,
    asked,
    refreshed,
    reported,
    progress: () => progress,
    updateAndSettle,
  }
}

describe('PositionResolver', () => {
  it('looks a new partition up per autoOffsetReset and moves it there with the leader epoch', async () => {
    const t = setUp({ autoOffsetReset: 'earliest', answer: () => ({ offset: 12n, leaderEpoch: 4 }) })
    await t.updateAndSettle()
    expect(t.asked).toEqual([{ partition: 0, timestamp: EARLIEST_TIMESTAMP }])
    expect(t.state.state).toBe('fetching')
    expect(t.state.position).toEqual({ offset: 12n, leaderEpoch: 4 })
    expect(t.progress()).toBe(1)
  })

  it('an explicit reset target wins over autoOffsetReset', async () => {
    const t = setUp({ autoOffsetReset: 'earliest', answer: () => ({ offset: 99n }) })
    t.subscriptions.requestReset(t.state, 'latest')
    await t.updateAndSettle()
    expect(t.asked).toEqual([{ partition: 0, timestamp: LATEST_TIMESTAMP }])
    expect(t.state.position).toEqual({ offset: 99n, leaderEpoch: undefined })
  })

  it('looks up a timestamp target by its time', async () => {
    const t = setUp({ answer: () => ({ offset: 5n }) })
    t.subscriptions.requestReset(t.state, { timestamp: 1_700_000_000_000 })
    await t.updateAndSettle()
    expect(t.asked).toEqual([{ partition: 0, timestamp: 1_700_000_000_000n }])
  })

  it("with autoOffsetReset 'none' reports NoOffsetForPartitionError once and asks no broker", () => {
    const t = setUp({ autoOffsetReset: 'none' })
    const before = performance.now()
    t.resolver.update()
    expect(t.reported).toHaveLength(1)
    expect(t.reported[0]).toBeInstanceOf(NoOffsetForPartitionError)
    expect(t.state.retryAt).toBeGreaterThan(before)
    // Due again later, but not reported twice while the first report waits to be thrown.
    t.state.retryAt = 0
    t.resolver.update()
    expect(t.reported).toHaveLength(1)
    expect(t.asked).toEqual([])
    expect(t.state.state).toBe('awaiting-reset')
  })

  it("resolveNow throws NoOffsetForPartitionError for 'none'", async () => {
    const t = setUp({ autoOffsetReset: 'none' })
    await expect(t.resolver.resolveNow([t.state])).rejects.toBeInstanceOf(NoOffsetForPartitionError)
  })

  it('resolveNow resolves a pending lookup before returning', async () => {
    const t = setUp({ answer: () => ({ offset: 3n }) })
    await t.resolver.resolveNow([t.state])
    expect(t.state.position?.offset).toBe(3n)
  })

  it('starts group partitions at the committed offset, without a ListOffsets lookup', async () => {
    const handed: PartitionState[][] = []
    const t = setUp({
      committed: {
        wantsCommittedOffset: () => true,
        positionFromCommitted: async (states) => {
          handed.push([...states])
        },
      },
    })
    await t.updateAndSettle()
    expect(handed).toEqual([[t.state]])
    expect(t.asked).toEqual([])
  })

  it('does not start a second lookup for a partition while one runs', async () => {
    let release: () => void = () => {}
    let calls = 0
    const t = setUp({
      committed: {
        wantsCommittedOffset: () => true,
        positionFromCommitted: () => {
          calls++
          return new Promise<void>((resolve) => {
            release = resolve
          })
        },
      },
    })
    const done = t.updateAndSettle()
    t.resolver.update()
    t.resolver.update()
    expect(calls).toBe(1)
    release()
    await done
  })

  it('a seek made while the lookup runs wins over its answer', async () => {
    const t = setUp({ answer: () => ({ offset: 0n }) })
    const done = t.updateAndSettle()
    t.subscriptions.seek(tp0, { offset: 50n, leaderEpoch: undefined })
    await done
    expect(t.state.position?.offset).toBe(50n)
  })

  it('reports a non-retriable lookup failure and retries a retriable one after a metadata refresh', async () => {
    const fatal = setUp({ answer: () => ({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }) })
    await fatal.updateAndSettle()
    expect(fatal.reported).toHaveLength(1)
    expect(fatal.refreshed).toEqual([])
    expect(fatal.state.state).toBe('awaiting-reset')

    const retriable = setUp({ answer: () => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }) })
    const before = performance.now()
    await retriable.updateAndSettle()
    expect(retriable.reported).toEqual([])
    expect(retriable.refreshed).toEqual([['orders']])
    expect(retriable.state.retryAt).toBeGreaterThan(before)
  })

  it('without a validator a position awaiting validation is taken as it is', () => {
    const t = setUp({})
    t.subscriptions.seek(tp0, { offset: 8n, leaderEpoch: 2 }, { validate: true })
    expect(t.state.state).toBe('awaiting-validation')
    t.resolver.update()
    expect(t.state.state).toBe('fetching')
  })

  it('runs one validation at a time and reports its errors', async () => {
    let calls = 0
    let fail: (error: unknown) => void = () => {}
    const t = setUp({
      validator: () => {
        calls++
        return new Promise<void>((_resolve, reject) => {
          fail = reject
        })
      },
    })
    t.subscriptions.seek(tp0, { offset: 8n, leaderEpoch: 2 }, { validate: true })
    const done = t.updateAndSettle()
    t.resolver.update()
    expect(calls).toBe(1)
    const error = new NoOffsetForPartitionError(t.state)
    fail(error)
    await done
    expect(t.reported).toEqual([error])
  })
})
