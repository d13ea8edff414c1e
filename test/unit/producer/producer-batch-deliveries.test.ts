/**
 * A batch keeps its records' deliveries as runs (same sink, consecutive indexes, same timestamp); whatever
 * the mix of callers, every record must still be reported once, to its own sink and index, with its own
 * offset and timestamp, also after a split.
 */

import { describe, expect, it } from 'vitest'
import type { DeliverySink } from '../../../src/producer/delivery.ts'
import { ProducerBatch } from '../../../src/producer/producer-batch.ts'
import { type EncodableRecord, estimateRecordBytes } from '../../../src/protocol/records/batch-builder.ts'

interface Report {
  sink: string
  index: number
  offset?: bigint
  timestamp?: number
  error?: string
}

function sinkNamed(name: string, reports: Report[]): DeliverySink {
  return {
    delivered: (index, _topic, _partition, offset, timestamp) =>
      reports.push({ sink: name, index, offset, timestamp }),
    failed: (index, error) => reports.push({ sink: name, index, error: error.message }),
  }
}

function record(timestamp: number): EncodableRecord {
  return { timestamp, key: null, value: Buffer.alloc(50, 1), headers: null }
}

/** Records from interleaved callers: a batch call's run, single sends, a second batch call, a gap, a new timestamp. */
function mixedBatch(reports: Report[]): { batch: ProducerBatch; appended: Report[] } {
  const a = sinkNamed('a', reports)
  const b = sinkNamed('b', reports)
  const single1 = sinkNamed('single1', reports)
  const single2 = sinkNamed('single2', reports)
  const appended: [DeliverySink, string, number, number][] = [
    [a, 'a', 0, 100],
    [a, 'a', 1, 100],
    [a, 'a', 2, 100],
    [single1, 'single1', 0, 101],
    [a, 'a', 3, 100],
    [b, 'b', 0, 102],
    [b, 'b', 1, 102],
    [b, 'b', 3, 102], // index 2 went to another partition
    [b, 'b', 4, 103], // same call, a later timestamp given by the caller
    [single2, 'single2', 0, 104],
  ]
  const batch = new ProducerBatch('t', 0, 1 << 20, 0, 1)
  for (const [sink, , index, timestamp] of appended) {
    batch.append(record(timestamp), estimateRecordBytes(record(timestamp)), sink, index)
  }
  return {
    batch,
    appended: appended.map(([, sink, index, timestamp]) => ({ sink, index, timestamp })),
  }
}

describe('ProducerBatch deliveries', () => {
  it('reports each record to its own sink and index, at consecutive offsets, with its timestamp', () => {
    const reports: Report[] = []
    const { batch, appended } = mixedBatch(reports)
    batch.succeed(1000n, -1)
    expect(reports).toEqual(appended.map((r, i) => ({ ...r, offset: 1000n + BigInt(i) })))
  })

  it('gives exact offsets past 2^53, where they are no longer computed through numbers', () => {
    const reports: Report[] = []
    const { batch, appended } = mixedBatch(reports)
    const far = 2n ** 60n + 5n
    batch.succeed(far, -1)
    expect(reports).toEqual(appended.map((r, i) => ({ ...r, offset: far + BigInt(i) })))
  })

  it('gives every record the log append time when the topic uses it, and -1 offsets when unknown', () => {
    const reports: Report[] = []
    const { batch, appended } = mixedBatch(reports)
    batch.succeed(-1n, 555)
    expect(reports).toEqual(appended.map((r) => ({ ...r, offset: -1n, timestamp: 555 })))
  })

  it('fails each record once', () => {
    const reports: Report[] = []
    const { batch, appended } = mixedBatch(reports)
    batch.fail(new Error('broker said no'))
    expect(reports).toEqual(appended.map(({ sink, index }) => ({ sink, index, error: 'broker said no' })))
  })

  it('hands each record its delivery on through a split', () => {
    const reports: Report[] = []
    const { batch, appended } = mixedBatch(reports)
    const parts = batch.split(Math.ceil(batch.sizeBytes / 3))
    expect(parts.length).toBeGreaterThanOrEqual(3)
    let offset = 70n
    for (const part of parts) {
      part.succeed(offset, -1)
      offset += BigInt(part.recordCount)
    }
    expect(reports).toEqual(appended.map((r, i) => ({ ...r, offset: 70n + BigInt(i) })))
  })
})
