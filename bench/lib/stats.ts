/** Small statistics for the benchmark: order statistics of repeated runs and latency percentiles. */

/** The value below which `q` (0..1) of `sorted` lies, nearest-rank; `sorted` must be ascending. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample')
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number
}

export interface Spread {
  median: number
  min: number
  max: number
}

/** Median, min and max of the runs (the median of an even count is the mean of the middle two). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/** Latencies recorded into a preallocated array, so recording does not allocate during the run. */
export class LatencyRecorder {
  private readonly samples: Float64Array
  private count = 0

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity)
  }

  record(latencyMs: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = latencyMs
  }

  get size(): number {
    return this.count
  }

  summary(): { p50Ms: number; p99Ms: number; p999Ms: number } {
    const sorted = this.samples.slice(0, this.count).sort()
    return {
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      p999Ms: percentile(sorted, 0.999),
    }
  }
}

/**
 * The consume clocks start when the first records arrive, so the records of that first delivery came for
 * free: a client that hands out 60,000 records in its first batch would look faster than one that hands out
 * 500. Like kcat's first output chunk, the first delivery is left out of the rate: the time from the first
 * delivery to the last, scaled up to all records by the share that arrived after the clock started.
 */
export function consumeElapsedMs(spanMs: number, received: number, firstDelivery: number): number {
  const after = received - firstDelivery
  return after > 0 && spanMs > 0 ? (spanMs * received) / after : spanMs
}
