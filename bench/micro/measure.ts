/**
 * A tiny timing loop for the micro-benchmarks: warms the function up so V8 has optimised it, then runs it
 * for a fixed wall time and reports units per second (records, bytes...). The median of several rounds is
 * printed, because a shared two-core machine makes single rounds noisy.
 */

export interface MeasureOptions {
  /** What one call processes, e.g. 1000 records or 262144 bytes. */
  unitsPerCall: number
  /** Name of the unit in the output. */
  unit: string
  /** Wall time of each round, ms. Default 500. */
  roundMs?: number
  /** Rounds; the median is reported. Default 5. */
  rounds?: number
}

/** Runs `fn` repeatedly and prints `name: <median> <unit>/s (min–max)`. Returns the median rate. */
export async function measure(name: string, fn: () => unknown, options: MeasureOptions): Promise<number> {
  const roundMs = options.roundMs ?? 500
  const rounds = options.rounds ?? 5
  const deadline = performance.now() + roundMs
  while (performance.now() < deadline) await fn()
  const rates: number[] = []
  for (let round = 0; round < rounds; round++) {
    let calls = 0
    const start = performance.now()
    let elapsed = 0
    while (elapsed < roundMs) {
      await fn()
      calls++
      elapsed = performance.now() - start
    }
    rates.push((calls * options.unitsPerCall * 1000) / elapsed)
  }
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)]!
  const format = (n: number) => Math.round(n).toLocaleString('en-US')
  process.stdout.write(
    `${name}: ${format(median)} ${options.unit}/s (${format(rates[0]!)}–${format(rates[rates.length - 1]!)})\n`,
  )
  return median
}
