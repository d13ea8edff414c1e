/**
 * Record values for the benchmark. Values are fixed-size and not compressible-by-accident (no client
 * compresses here, but the broker and page cache see realistic bytes). The latency case writes the send time
 * into the first 8 bytes, so a consumer in the same process can compute end-to-end latency from the value.
 */

/** A value of `sizeBytes` pseudo-random printable bytes (printable so kcat can read it as one line). */
export function makeValue(sizeBytes: number, seed = 1): Buffer {
  const value = Buffer.allocUnsafe(sizeBytes)
  let state = seed >>> 0 || 1
  for (let i = 0; i < sizeBytes; i++) {
    // xorshift32: cheap, deterministic, good enough to defeat run-length patterns.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    value[i] = 33 + ((state >>> 0) % 94)
  }
  return value
}

/** Milliseconds on a clock shared by producer and consumer in one process, with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

export const STAMP_BYTES = 8

/** A copy of `template` carrying the current time in its first 8 bytes. */
export function stampedValue(template: Buffer): Buffer {
  const value = Buffer.from(template)
  value.writeDoubleLE(nowMs(), 0)
  return value
}

/** The send time written by {@link stampedValue}. */
export function readStamp(value: Uint8Array): number {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).readDoubleLE(0)
}

/**
 * Calls `sendBurst(n)` so that `total` records go out at `ratePerSec`, in bursts every `tickMs` sized by how
 * far behind schedule the sender is (so a slow tick is caught up, not lost). Resolves once all were handed
 * to the client.
 */
export function paceSends(
  ratePerSec: number,
  total: number,
  sendBurst: (count: number) => void,
  tickMs = 5,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    let sent = 0
    const timer = setInterval(() => {
      try {
        const due = Math.min(total, Math.floor(((performance.now() - start) * ratePerSec) / 1000))
        if (due > sent) {
          sendBurst(due - sent)
          sent = due
        }
        if (sent >= total) {
          clearInterval(timer)
          resolve()
        }
      } catch (error) {
        clearInterval(timer)
        reject(error)
      }
    }, tickMs)
  })
}
