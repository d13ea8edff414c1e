/**
 * The source: writes records with unique ids (value = key = id) and remembers where each committed one
 * landed. With `abortEvery`, it also writes records inside transactions it aborts (ids `x…`), interleaved
 * with the real ones, so a read_committed member that processes one is caught as an aborted read.
 */

import { Kafka } from '../../src/kafka.ts'
import type { Producer } from '../../src/producer/producer.ts'
import type { SourceRecord } from './checker.ts'

export interface SourceOptions {
  bootstrap: string
  topic: string
  count: number
  /** Records per send; each chunk is followed by one aborted transaction when `abortEvery` is set. */
  chunk?: number
  /** Write one aborted transaction of 3 records after every `abortEvery` chunks. */
  abortEvery?: number
  /** Pause between chunks, so production overlaps the faults instead of finishing before them. */
  pauseMs?: number
  /** First id number (a second wave continues after the first). */
  firstIndex?: number
  transactionalId: string
  /** Stops producing early (e.g. the scenario ran out of time). */
  signal?: AbortSignal
}

export interface SourceResult {
  produced: Map<string, SourceRecord>
  aborted: Set<string>
}

export const recordIdOf = (index: number): string => `r${index.toString().padStart(7, '0')}`

export async function produceSource(options: SourceOptions, into?: SourceResult): Promise<SourceResult> {
  const result = into ?? { produced: new Map(), aborted: new Set() }
  const kafka = new Kafka({ bootstrap: options.bootstrap, clientId: 'chaos-source', logger: false })
  const producer = kafka.producer({ acks: 'all', lingerMs: 2 })
  // The aborter may fail while a broker is down; it is then closed and made again (its InitProducerId
  // aborts whatever transaction the failed one left open), and that round writes no aborted records.
  let aborter: Producer | undefined
  let initialized = false
  const abortOne = async (start: number) => {
    aborter ??= kafka.producer({ transactionalId: options.transactionalId, lingerMs: 0 })
    const ids = [0, 1, 2].map((i) => `x${start}-${i}`)
    try {
      if (!initialized) await aborter.initTransactions()
      initialized = true
      aborter.beginTransaction()
      for (const id of ids) result.aborted.add(id)
      await aborter.sendBatch(ids.map((id) => ({ topic: options.topic, key: id, value: id })))
      await aborter.abortTransaction()
    } catch {
      await aborter.close().catch(() => {})
      aborter = undefined
      initialized = false
    }
  }
  const chunk = options.chunk ?? 200
  const first = options.firstIndex ?? 0
  let chunks = 0
  try {
    for (let start = first; start < first + options.count; start += chunk) {
      if (options.signal?.aborted === true) break
      const ids = Array.from({ length: Math.min(chunk, first + options.count - start) }, (_, i) =>
        recordIdOf(start + i),
      )
      const written = await producer.sendBatch(
        ids.map((id) => ({ topic: options.topic, key: id, value: id })),
      )
      written.forEach((meta, i) => {
        result.produced.set(ids[i]!, { partition: meta.partition, offset: meta.offset })
      })
      chunks++
      if (options.abortEvery !== undefined && chunks % options.abortEvery === 0) await abortOne(start)
      if (options.pauseMs !== undefined) await new Promise((r) => setTimeout(r, options.pauseMs))
    }
  } finally {
    await producer.close()
    await aborter?.close()
  }
  return result
}
