/**
 * Turns one partition of a ShareFetch response into the records this member acquired.
 *
 * The response carries whole record batches, which may hold records other members acquired or that are
 * already acknowledged, and `AcquiredRecords`, the offset ranges that are this member's, each with its
 * delivery count. Only records inside those ranges are delivered. An acquired offset with no user record in
 * the batches (compacted away, or a transaction marker) is a gap: it is acknowledged as GAP at once so the
 * broker need not wait for its lock to expire, as the Java client's ShareCompletedFetch does.
 */

import type { RecordHeader } from '../../common/types.ts'
import type { AcquiredRecords } from '../../protocol/messages/share-fetch.ts'
import type { DecodedRecordBatch } from '../../protocol/records/record-batch.ts'
import type { ConsumerMessage } from '../message.ts'

export interface AcquiredRecord extends ConsumerMessage {
  deliveryCount: number
}

export interface AcquiredPartitionData {
  records: AcquiredRecord[]
  /** Acquired offsets without a user record, ascending. */
  gaps: bigint[]
}

/** Selects the acquired records of `batches` (complete batches, in order) for `topic`-`partition`. */
export function acquiredRecords(
  topic: string,
  partition: number,
  batches: readonly DecodedRecordBatch[],
  acquired: readonly AcquiredRecords[],
): AcquiredPartitionData {
  const ranges = [...acquired].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
  const records: AcquiredRecord[] = []
  const gaps: bigint[] = []
  let rangeIndex = 0
  // The next acquired offset not yet delivered or declared a gap.
  let next = ranges[0]?.firstOffset
  /** Declares every acquired offset below `limit` a gap, moving `next` to the first one at or above it. */
  const gapsUpTo = (limit: bigint | undefined): void => {
    while (next !== undefined && (limit === undefined || next < limit)) {
      gaps.push(next)
      advance()
    }
  }
  const advance = (): void => {
    const range = ranges[rangeIndex]!
    if (next! < range.lastOffset) {
      next = next! + 1n
      return
    }
    rangeIndex++
    next = ranges[rangeIndex]?.firstOffset
  }
  for (const batch of batches) {
    if (batch.isControl) continue
    const logAppend = batch.timestampType === 'log-append'
    for (const record of batch.records) {
      if (next === undefined) break
      const offset = batch.baseOffset + BigInt(record.offsetDelta)
      if (offset < next) continue // not ours (another member's, or already acknowledged)
      gapsUpTo(offset)
      if (next !== offset) continue
      const headers = record.headers
      records.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        headers: headers.length === 0 ? [] : (headers as RecordHeader[]),
        timestamp: Number(
          logAppend ? batch.maxTimestamp : batch.baseTimestamp + BigInt(record.timestampDelta),
        ),
        timestampType: logAppend ? 'log-append' : 'create',
        leaderEpoch: batch.partitionLeaderEpoch,
        deliveryCount: ranges[rangeIndex]!.deliveryCount,
      })
      advance()
    }
  }
  gapsUpTo(undefined)
  return { records, gaps }
}
