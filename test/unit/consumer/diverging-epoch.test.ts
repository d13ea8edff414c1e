import { describe, expect, it } from 'vitest'
import { MetadataSnapshot, type TopicInfo } from '../../../src/cluster/metadata.ts'
import { DataLossError, type KafkaError } from '../../../src/common/errors.ts'
import type { Logger } from '../../../src/common/logger.ts'
import type { CompletedFetch } from '../../../src/consumer/completed-fetch.ts'
import type { FetchCluster } from '../../../src/consumer/consumer-cluster.ts'
import { type AutoOffsetReset, resolveConsumerOptions } from '../../../src/consumer/consumer-options.ts'
import { FetchBuffer } from '../../../src/consumer/fetch-buffer.ts'
import { FetchCollector } from '../../../src/consumer/fetch-collector.ts'
import { Fetcher } from '../../../src/consumer/fetcher.ts'
import { classifyDivergence, handleDivergingEpoch } from '../../../src/consumer/offsets/position-validator.ts'
import { SubscriptionState } from '../../../src/consumer/subscription-state.ts'
import type { Connection } from '../../../src/network/connection.ts'
import {
  createFetchableTopicResponse,
  createFetchResponse,
  createPartitionData,
  Fetch,
  type FetchRequest,
  type FetchResponse,
  type PartitionData,
} from '../../../src/protocol/messages/fetch.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import { encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.ts'

const TOPIC = 'orders'
const TOPIC_ID = '6f1c2a4e-9b3d-4c55-8e21-0a7d5b9c3f10'
const LEADER_EPOCH = 7
const FETCH_VERSION = 17

interface LogLine {
  level: string
  message: string
  fields: Record<string, unknown> | undefined
}

function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields })
    }
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

/** A partition assigned and positioned at `offset` (epoch `epoch`), with data fetched ahead to `fetchOffset`. */
function positioned(reset: AutoOffsetReset, offset: bigint, epoch: number | undefined, fetchOffset = offset) {
  const subscriptions = new SubscriptionState(reset)
  subscriptions.assign([{ topic: TOPIC, partition: 0 }])
  subscriptions.seek({ topic: TOPIC, partition: 0 }, { offset, leaderEpoch: epoch })
  const state = subscriptions.get(TOPIC, 0)!
  state.offsets.fetched(fetchOffset, epoch)
  return { subscriptions, state }
}

describe('classifyDivergence', () => {
  it('calls records delivered past the divergence point truncated and resumes at the divergence', () => {
    expect(classifyDivergence({ offset: 120n, leaderEpoch: 4 }, { epoch: 3, endOffset: 100n })).toEqual({
      kind: 'truncated',
      resume: { offset: 100n, leaderEpoch: 3 },
    })
  })

  it('keeps a position at or before the divergence point, capping its epoch at the leader’s', () => {
    expect(classifyDivergence({ offset: 100n, leaderEpoch: 4 }, { epoch: 3, endOffset: 100n })).toEqual({
      kind: 'intact',
      resume: { offset: 100n, leaderEpoch: 3 },
    })
    expect(classifyDivergence({ offset: 90n, leaderEpoch: 2 }, { epoch: 3, endOffset: 100n })).toEqual({
      kind: 'intact',
      resume: { offset: 90n, leaderEpoch: 2 },
    })
    expect(
      classifyDivergence({ offset: 90n, leaderEpoch: undefined }, { epoch: 3, endOffset: 100n }),
    ).toEqual({ kind: 'intact', resume: { offset: 90n, leaderEpoch: undefined } })
  })

  it('treats an end offset of -1 as unknown, not as the whole log being gone', () => {
    expect(classifyDivergence({ offset: 120n, leaderEpoch: 4 }, { epoch: 3, endOffset: -1n })).toEqual({
      kind: 'unknown',
    })
  })
})

describe('handleDivergingEpoch', () => {
  it("with autoOffsetReset 'none', reports DataLossError naming the partition and both offsets", () => {
    const { subscriptions, state } = positioned('none', 120n, 4, 150n)
    const generation = state.generation
    const { logger, lines } = recordingLogger()
    const reported: KafkaError[] = []
    const revalidate = handleDivergingEpoch(state, { epoch: 3, endOffset: 100n }, subscriptions, {
      logger,
      report: (error) => reported.push(error),
    })
    expect(revalidate).toBe(false)
    expect(reported).toHaveLength(1)
    const error = reported[0] as DataLossError
    expect(error).toBeInstanceOf(DataLossError)
    expect(error.topic).toBe(TOPIC)
    expect(error.partition).toBe(0)
    expect(error.consumedOffset).toBe(120n)
    expect(error.resetOffset).toBe(100n)
    expect(error.message).toMatch(/orders-0.*120.*100\.\.119/)
    expect(error.message).toMatch(/detected by a Fetch diverging epoch/)
    expect(lines.filter((l) => l.level === 'warn')).toEqual([])
    // Fetching goes on from the divergence point; everything fetched for the old history is dropped.
    expect(state.position).toEqual({ offset: 100n, leaderEpoch: 3 })
    expect(state.fetchOffset).toBe(100n)
    expect(state.fetchEpoch).toBe(3)
    expect(state.state).toBe('fetching')
    expect(state.generation).toBeGreaterThan(generation)
  })

  it('otherwise logs a warning naming the same and resets to the divergence point', () => {
    const { subscriptions, state } = positioned('earliest', 120n, 4, 150n)
    const { logger, lines } = recordingLogger()
    const reported: KafkaError[] = []
    handleDivergingEpoch(state, { epoch: 3, endOffset: 100n }, subscriptions, {
      logger,
      report: (error) => reported.push(error),
    })
    expect(reported).toEqual([])
    const warnings = lines.filter((l) => l.level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toMatch(/orders-0.*position 120.*resetting to 100/)
    expect(warnings[0]!.fields).toMatchObject({
      topic: TOPIC,
      partition: 0,
      consumedOffset: 120n,
      resetOffset: 100n,
    })
    expect(state.position).toEqual({ offset: 100n, leaderEpoch: 3 })
  })

  it('drops data fetched ahead past the divergence without reporting loss when nothing delivered is gone', () => {
    const { subscriptions, state } = positioned('none', 90n, 4, 150n)
    const generation = state.generation
    const { logger, lines } = recordingLogger()
    const reported: KafkaError[] = []
    handleDivergingEpoch(state, { epoch: 3, endOffset: 100n }, subscriptions, {
      logger,
      report: (error) => reported.push(error),
    })
    expect(reported).toEqual([])
    expect(lines.filter((l) => l.level === 'warn')).toEqual([])
    expect(state.position).toEqual({ offset: 90n, leaderEpoch: 3 })
    expect(state.fetchOffset).toBe(90n)
    expect(state.generation).toBeGreaterThan(generation)
  })

  it('sends a position with an unknown divergence point to OffsetForLeaderEpoch validation', () => {
    const { subscriptions, state } = positioned('none', 120n, 4, 150n)
    const { logger } = recordingLogger()
    const reported: KafkaError[] = []
    const revalidate = handleDivergingEpoch(state, { epoch: 3, endOffset: -1n }, subscriptions, {
      logger,
      report: (error) => reported.push(error),
    })
    expect(revalidate).toBe(true)
    expect(reported).toEqual([])
    expect(state.state).toBe('awaiting-validation')
    expect(state.position).toEqual({ offset: 120n, leaderEpoch: 4 })
    expect(state.fetchOffset).toBe(120n)
  })
})

/**
 * A Fetcher wired to a scripted leader: the test answers each request in turn. Requests and responses go
 * through the real Fetch codec, so the diverging epoch travels as the tagged field it is on the wire.
 */
function scriptedFetcher(reset: AutoOffsetReset, fetchVersion = FETCH_VERSION) {
  const requests: FetchRequest[] = []
  const unanswered: ((response: FetchResponse) => void)[] = []
  let requestArrived: (() => void) | undefined
  const topic: TopicInfo = {
    name: TOPIC,
    topicId: TOPIC_ID,
    isInternal: false,
    partitions: [
      {
        topic: TOPIC,
        partition: 0,
        leaderId: 1,
        leaderEpoch: LEADER_EPOCH,
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
        errorCode: 0,
      },
    ],
  }
  const snapshot = new MetadataSnapshot(new Map(), -1, null, new Map([[TOPIC, topic]]), new Map(), 1)
  const connection = {
    address: 'scripted:9092',
    supports: (_api: unknown, minVersion = 0) => minVersion <= fetchVersion,
    request(_api: unknown, body: FetchRequest): Promise<FetchResponse> {
      const writer = new Writer()
      Fetch.encodeRequest(writer, fetchVersion, body)
      requests.push(Fetch.decodeRequest(new Reader(writer.toBuffer()), fetchVersion))
      const answered = new Promise<FetchResponse>((resolve) => unanswered.push(resolve))
      requestArrived?.()
      return answered
    },
  }
  const { logger, lines } = recordingLogger()
  const cluster: FetchCluster = {
    currentMetadata: snapshot,
    refreshMetadata: async () => snapshot,
    partition: async () => topic.partitions[0]!,
    connectionTo: async () => connection as unknown as Connection,
    options: { requestTimeoutMs: 30_000, logger },
  }
  const subscriptions = new SubscriptionState(reset)
  subscriptions.assign([{ topic: TOPIC, partition: 0 }])
  const buffer = new FetchBuffer<CompletedFetch>()
  const errors: KafkaError[] = []
  const fetcher = new Fetcher(
    cluster,
    subscriptions,
    buffer,
    resolveConsumerOptions({ autoOffsetReset: reset }),
    { onError: (error) => errors.push(error), onResetNeeded: () => {} },
  )
  /** Resolves once `count` requests have been sent in all. */
  const requestsSent = async (count: number): Promise<void> => {
    while (requests.length < count) {
      await new Promise<void>((resolve) => {
        requestArrived = resolve
      })
    }
  }
  /** Answers the oldest unanswered request with `partition`, then waits for the fetch that follows it. */
  const answer = async (partition: PartitionData): Promise<void> => {
    const resolve = unanswered.shift()
    if (resolve === undefined) throw new Error('no request is waiting for an answer')
    const response = createFetchResponse({
      responses: [
        createFetchableTopicResponse({
          ...(fetchVersion >= 13 ? { topicId: TOPIC_ID } : { topic: TOPIC }),
          partitions: [partition],
        }),
      ],
    })
    const writer = new Writer()
    Fetch.encodeResponse(writer, fetchVersion, response)
    const sentSoFar = requests.length
    resolve(Fetch.decodeResponse(new Reader(writer.toBuffer()), fetchVersion))
    await requestsSent(sentSoFar + 1)
  }
  return {
    fetcher,
    subscriptions,
    collector: new FetchCollector(buffer),
    requests,
    requestsSent,
    answer,
    errors,
    lines,
  }
}

function records(baseOffset: bigint, count: number, epoch: number): Buffer {
  return encodeUncompressedRecordBatch({
    baseOffset,
    partitionLeaderEpoch: epoch,
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: Buffer.from(`v${baseOffset + BigInt(i)}`),
      timestamp: 1_700_000_000_000n + BigInt(i),
    })),
  })
}

describe('Fetcher and the diverging epoch', () => {
  it('sends the metadata leader epoch as currentLeaderEpoch and the last fetched batch’s epoch as lastFetchedEpoch', async () => {
    const rig = scriptedFetcher('none')
    rig.subscriptions.seek({ topic: TOPIC, partition: 0 }, { offset: 0n, leaderEpoch: 2 })
    rig.fetcher.sendFetches()
    await rig.requestsSent(1)
    await rig.answer(createPartitionData({ highWatermark: 10n, records: records(0n, 10, 5) }))
    rig.fetcher.close()
    const first = rig.requests[0]!.topics[0]!.partitions[0]!
    expect(first).toMatchObject({ currentLeaderEpoch: LEADER_EPOCH, fetchOffset: 0n, lastFetchedEpoch: 2 })
    // The next fetch continues after the batch of epoch 5, before the application has seen any of it.
    const second = rig.requests[1]!.topics[0]!.partitions[0]!
    expect(second).toMatchObject({ currentLeaderEpoch: LEADER_EPOCH, fetchOffset: 10n, lastFetchedEpoch: 5 })
  })

  it('leaves lastFetchedEpoch out for a broker without Fetch v12', async () => {
    const rig = scriptedFetcher('none', 11)
    rig.subscriptions.seek({ topic: TOPIC, partition: 0 }, { offset: 0n, leaderEpoch: 2 })
    rig.fetcher.sendFetches()
    await rig.requestsSent(1)
    await rig.answer(createPartitionData({ highWatermark: 10n, records: records(0n, 10, 5) }))
    rig.fetcher.close()
    expect(rig.errors).toEqual([])
    expect(rig.requests[1]!.topics[0]!.partitions[0]!).toMatchObject({
      fetchOffset: 10n,
      lastFetchedEpoch: -1,
    })
  })

  it('reports DataLossError for delivered records the leader no longer has, and refetches from the divergence', async () => {
    const rig = scriptedFetcher('none')
    rig.subscriptions.seek({ topic: TOPIC, partition: 0 }, { offset: 0n, leaderEpoch: undefined })
    rig.fetcher.sendFetches()
    await rig.requestsSent(1)
    await rig.answer(createPartitionData({ highWatermark: 10n, records: records(0n, 10, 5) }))
    // The application takes offsets 0..5; 6..9 stay buffered.
    expect(rig.collector.collect(6).map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n])
    // The fetch from 10 (epoch 5) is answered by a new leader on which epoch 5 ended at offset 4.
    await rig.answer(createPartitionData({ highWatermark: 4n, divergingEpoch: { epoch: 5, endOffset: 4n } }))
    rig.fetcher.close()
    expect(rig.errors).toHaveLength(1)
    expect(rig.errors[0]).toBeInstanceOf(DataLossError)
    expect(rig.errors[0]).toMatchObject({ topic: TOPIC, partition: 0, consumedOffset: 6n, resetOffset: 4n })
    expect(rig.subscriptions.get(TOPIC, 0)!.position).toEqual({ offset: 4n, leaderEpoch: 5 })
    // Offsets 6..9 came from the abandoned history: they are never delivered.
    expect(rig.collector.collect(10)).toEqual([])
    expect(rig.requests[2]!.topics[0]!.partitions[0]!).toMatchObject({ fetchOffset: 4n, lastFetchedEpoch: 5 })
  })

  it('with a reset policy, warns and goes on from the divergence; data fetched ahead is refetched silently', async () => {
    const rig = scriptedFetcher('earliest')
    rig.subscriptions.seek({ topic: TOPIC, partition: 0 }, { offset: 0n, leaderEpoch: undefined })
    rig.fetcher.sendFetches()
    await rig.requestsSent(1)
    await rig.answer(createPartitionData({ highWatermark: 10n, records: records(0n, 10, 5) }))
    expect(rig.collector.collect(3).map((m) => m.offset)).toEqual([0n, 1n, 2n])
    // Divergence at 6: the application is at 3, so only undelivered data is affected.
    await rig.answer(createPartitionData({ highWatermark: 6n, divergingEpoch: { epoch: 5, endOffset: 6n } }))
    expect(rig.errors).toEqual([])
    expect(rig.lines.filter((l) => l.level === 'warn')).toEqual([])
    expect(rig.requests[2]!.topics[0]!.partitions[0]!).toMatchObject({
      fetchOffset: 3n,
      // The epoch of the last delivered record (offset 2).
      lastFetchedEpoch: 5,
    })
    await rig.answer(createPartitionData({ highWatermark: 8n, records: records(3n, 5, 8) }))
    expect(rig.collector.collect(3).map((m) => m.value?.toString())).toEqual(['v3', 'v4', 'v5'])
    // Now a divergence below the delivered position: a warning, no error, reading resumes there.
    await rig.answer(createPartitionData({ highWatermark: 4n, divergingEpoch: { epoch: 8, endOffset: 4n } }))
    rig.fetcher.close()
    expect(rig.errors).toEqual([])
    const warnings = rig.lines.filter((l) => l.level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.fields).toMatchObject({
      topic: TOPIC,
      partition: 0,
      consumedOffset: 6n,
      resetOffset: 4n,
    })
    expect(rig.requests[4]!.topics[0]!.partitions[0]!).toMatchObject({ fetchOffset: 4n, lastFetchedEpoch: 8 })
  })
})
