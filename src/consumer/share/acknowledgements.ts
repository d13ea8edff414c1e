/**
 * Acknowledgements of a share consumer, from the application's call to the wire and back.
 *
 * Each delivered record is acknowledged once: ACCEPT (processed), RELEASE (hand it out again, possibly to
 * another member, with a higher delivery count) or REJECT (archive it, never delivered again). RENEW only
 * extends the acquisition lock and leaves the record to be acknowledged later. Offsets the broker said were
 * acquired but which no record of the response carried (a compacted-away record, a transaction marker) are
 * acknowledged as GAP, as the Java client does, so they do not wait for their lock to expire.
 *
 * Acknowledgements wait per partition until a request to the partition's leader takes them: the next
 * ShareFetch to that broker, or a ShareAcknowledge when no fetch is due (commit, close). On the wire, runs of
 * consecutive offsets with the same type travel as one range.
 */

import type { AcknowledgementBatch } from '../../protocol/messages/share-fetch.ts'

/** The acknowledge types of ShareFetch / ShareAcknowledge (`AcknowledgeTypes`). */
export const AcknowledgeType = { gap: 0, accept: 1, release: 2, reject: 3, renew: 4 } as const

/** What the application can do with a delivered record. */
export type AcknowledgeKind = 'accept' | 'release' | 'reject' | 'renew'

/** A partition as a share session knows it: by name for the application, by id on the wire. */
export interface SharePartition {
  topic: string
  partition: number
  topicId: string
}

/** `topic:partition`, the key of per-partition maps. */
export function partitionKey(tp: { topic: string; partition: number }): string {
  return `${tp.topic}:${tp.partition}`
}

/** One partition's acknowledgements waiting to be sent, by offset. */
export class PartitionAcknowledgements {
  readonly target: SharePartition
  private readonly types = new Map<bigint, number>()

  constructor(target: SharePartition) {
    this.target = target
  }

  get size(): number {
    return this.types.size
  }

  /** True when any entry is a RENEW (the request must then say `IsRenewAck`). */
  get hasRenew(): boolean {
    for (const type of this.types.values()) if (type === AcknowledgeType.renew) return true
    return false
  }

  add(offset: bigint, type: number): void {
    this.types.set(offset, type)
  }

  /** The offsets, ascending. */
  offsets(): bigint[] {
    return [...this.types.keys()].sort(compareOffsets)
  }

  /** The type `offset` is acknowledged with, if any. */
  typeAt(offset: bigint): number | undefined {
    return this.types.get(offset)
  }

  /** The offsets acknowledged with `type`, ascending. */
  offsetsOf(type: number): bigint[] {
    return this.offsets().filter((offset) => this.types.get(offset) === type)
  }

  /** The wire form: ascending ranges of consecutive offsets that share a type, one type per range. */
  toBatches(): AcknowledgementBatch[] {
    const batches: AcknowledgementBatch[] = []
    let current: AcknowledgementBatch | undefined
    for (const offset of this.offsets()) {
      const type = this.types.get(offset)!
      if (
        current !== undefined &&
        current.lastOffset + 1n === offset &&
        current.acknowledgeTypes[0] === type
      ) {
        current.lastOffset = offset
        continue
      }
      current = { firstOffset: offset, lastOffset: offset, acknowledgeTypes: [type] }
      batches.push(current)
    }
    return batches
  }
}

function compareOffsets(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Pending acknowledgements, grouped by the broker they must go to (the leader the records came from; an
 * acknowledgement is only valid in the share partition that acquired the record).
 */
export class PendingAcknowledgements {
  private readonly byNode = new Map<number, Map<string, PartitionAcknowledgements>>()

  add(nodeId: number, target: SharePartition, offset: bigint, type: number): void {
    let partitions = this.byNode.get(nodeId)
    if (partitions === undefined) {
      partitions = new Map()
      this.byNode.set(nodeId, partitions)
    }
    const key = partitionKey(target)
    let entry = partitions.get(key)
    if (entry === undefined) {
      entry = new PartitionAcknowledgements(target)
      partitions.set(key, entry)
    }
    entry.add(offset, type)
  }

  /** True when something waits for `nodeId` in a partition outside `partitions` (keys by partitionKey). */
  hasOutside(nodeId: number, partitions: ReadonlySet<string>): boolean {
    for (const key of this.byNode.get(nodeId)?.keys() ?? []) if (!partitions.has(key)) return true
    return false
  }

  /** The type waiting for `offset` of `target` at `nodeId`, if any. */
  typeAt(nodeId: number, target: SharePartition, offset: bigint): number | undefined {
    return this.byNode.get(nodeId)?.get(partitionKey(target))?.typeAt(offset)
  }

  /** Nodes with something waiting. */
  nodes(): number[] {
    return [...this.byNode.keys()]
  }

  has(nodeId: number): boolean {
    return this.byNode.has(nodeId)
  }

  get isEmpty(): boolean {
    return this.byNode.size === 0
  }

  /** True when something for `nodeId` is a RENEW: then a ShareAcknowledge carries it (see share-fetcher.ts). */
  hasRenew(nodeId: number): boolean {
    for (const entry of this.byNode.get(nodeId)?.values() ?? []) if (entry.hasRenew) return true
    return false
  }

  /** Removes and returns what waits for `nodeId`. */
  take(nodeId: number): PartitionAcknowledgements[] {
    const partitions = this.byNode.get(nodeId)
    this.byNode.delete(nodeId)
    return partitions === undefined ? [] : [...partitions.values()]
  }
}
