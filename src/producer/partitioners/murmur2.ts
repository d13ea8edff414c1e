/**
 * The 32-bit murmur2 hash exactly as the Java client computes it, so a keyed record lands on the same
 * partition whichever client produced it: partition = toPositive(murmur2(keyBytes)) % partitionCount.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** Java's `Utils.murmur2`: a signed 32-bit hash of `bytes`. */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The remaining 1-3 bytes, highest first, as Java's fall-through switch does.
  const tail = length & 3
  if (tail === 3) h ^= bytes[whole + 2]! << 16
  if (tail >= 2) h ^= bytes[whole + 1]! << 8
  if (tail >= 1) h = Math.imul(h ^ bytes[whole]!, M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Java's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which fails for the minimum int). */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/** The partition the Java client's default partitioner picks for a non-null key. */
export function murmur2Partition(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount
}
