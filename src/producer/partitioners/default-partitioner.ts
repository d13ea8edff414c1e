/**
 * The built-in partitioning rules, matching the Java client so mixed fleets agree on where keys go:
 * - a keyed record goes to `toPositive(murmur2(key)) % partitionCount`, over *all* partitions (so a key's
 *   partition never depends on which leaders happen to be up);
 * - records without a key stick to one partition until the batch being filled there is closed (KIP-480),
 *   then move to another random available partition. Sticking fills batches instead of spreading one
 *   record per partition, which is what makes null-key throughput and latency good.
 */

import { murmur2Partition } from './murmur2.ts'

/** The producer's partitioner when the user gives none; keeps the sticky choice per topic. */
export class DefaultPartitioner {
  private readonly current = new Map<string, number>()
  private readonly random: () => number

  /** `random` is injectable so tests can make the choice deterministic. */
  constructor(random: () => number = Math.random) {
    this.random = random
  }

  /** The partition for a record of `topic` with key `keyBytes` (or no key). */
  partition(
    topic: string,
    keyBytes: Uint8Array | null,
    partitionCount: number,
    availablePartitions: readonly number[],
  ): number {
    if (keyBytes !== null) return murmur2Partition(keyBytes, partitionCount)
    const sticky = this.current.get(topic)
    if (sticky !== undefined && sticky >= 0 && sticky < partitionCount) return sticky
    const chosen = this.choose(partitionCount, availablePartitions, sticky)
    this.current.set(topic, chosen)
    return chosen
  }

  /**
   * Called when the batch being filled for `topic`/`partition` is closed (full, or handed to the sender).
   * If that was the sticky partition, the next null-key record picks a new one.
   */
  batchClosed(topic: string, partition: number): void {
    if (this.current.get(topic) === partition) this.current.set(topic, -1 - partition)
  }

  /** Picks a random partition, preferring ones with a leader and avoiding the previous sticky one. */
  private choose(partitionCount: number, available: readonly number[], previous: number | undefined): number {
    // A closed sticky partition p is remembered as -1 - p so the next choice can avoid it.
    const avoid = previous !== undefined && previous < 0 ? -1 - previous : -1
    const candidates = available.length > 0 ? available : undefined
    const size = candidates ? candidates.length : partitionCount
    if (size === 1) return candidates ? candidates[0]! : 0
    let index = Math.floor(this.random() * size)
    let chosen = candidates ? candidates[index]! : index
    if (chosen === avoid) {
      index = (index + 1 + Math.floor(this.random() * (size - 1))) % size
      chosen = candidates ? candidates[index]! : index
    }
    return chosen
  }
}
