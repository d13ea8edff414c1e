/**
 * A tiny timing loop for the micro-benchmarks: warms the function up so V8 has optimised it, then runs it
 * for a fixed wall time and reports units per CPU second (records, bytes...): the process's CPU time, not
 * the wall clock, because on a shared two-core machine the wall clock mostly measures the other tenants.
 * The median of several rounds is printed.
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
    const cpuStart = process.cpuUsage()
    while (performance.now() - start < roundMs) {
      await fn()
      calls++
    }
    const cpu = process.cpuUsage(cpuStart)
    const cpuMs = (cpu.user + cpu.system) / 1000
    rates.push((calls * options.unitsPerCall * 1000) / cpuMs)
  }
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)]!
  const format = (n: number) => Math.round(n).toLocaleString('en-US')
  process.stdout.write(
    `${name}: ${format(median)} ${options.unit}/CPU-s (${format(rates[0]!)}–${format(rates[rates.length - 1]!)})\n`,
  )
  return median
}
