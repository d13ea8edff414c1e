/**
 * The order of measurements and a forecast of how long they take. Clients are interleaved within each
 * repetition and the order rotates between repetitions (run 1: A B C, run 2: B C A, run 3: C A B), so no
 * client always goes first on a cold broker or last on a hot one, and slow drift of the machine (another
 * tenant, the page cache, the broker's log cleaner) spreads over every client instead of landing on one.
 */

import type { BenchCase } from './cases.ts'

/** The clients in the order of repetition `run` (1-based): the list rotated left by `run - 1`. */
export function runOrder<T>(clients: readonly T[], run: number): T[] {
  if (clients.length === 0) return []
  const shift = (run - 1) % clients.length
  return [...clients.slice(shift), ...clients.slice(0, shift)]
}

/** Seconds a client takes to start (process, module loading, first connection), by kind. */
const startupSeconds: Record<string, number> = { java: 3, kcat: 0.3 }
const nodeStartupSeconds = 1.5

/**
 * Rough throughput (msg/s) of a client in a case, from earlier full runs on the reference machine (2 cores
 * shared with the broker); a client not listed is taken as the slowest listed. Only used for the forecast.
 */
const roughRates: Record<string, Record<string, number>> = {
  produce: {
    samsa: 900_000,
    kcat: 900_000,
    java: 320_000,
    platformatic: 400_000,
    kafkajs: 200_000,
    confluent: 150_000,
    'kafka-ts': 150_000,
    kafkats: 150_000,
  },
  consume: {
    samsa: 900_000,
    kcat: 850_000,
    java: 850_000,
    kafkajs: 550_000,
    platformatic: 370_000,
    confluent: 140_000,
    'kafka-ts': 500_000,
    kafkats: 500_000,
  },
  commitMessage: { confluent: 7_000 },
  // One share-group member accepting every record; measured with 100,000 records on the 2-core machine.
  share: { samsa: 38_000, java: 17_000, kafkats: 2_600 },
}
const slowest = { produce: 120_000, consume: 120_000, commitMessage: 2_400, share: 2_600 }
/** Joining a fresh group and getting the first fetch back. */
const joinSeconds = 1.5

/**
 * Cases each client answers with a reason instead of a measurement (its adapter says so at once, and it
 * drops out of the case's later runs), as of this harness; only used for the forecast.
 */
const knownUnsupported: Record<string, readonly string[]> = {
  java: ['latency-10k', 'rebalance-', 'consume-commit-batch', 'consume-commit-message'],
  kcat: ['latency-10k', 'rebalance-', 'consume-commit-batch', 'consume-commit-message', 'share-'],
  kafkajs: ['rebalance-cooperative', 'rebalance-kip848', 'share-'],
  platformatic: ['consume-commit-batch', 'rebalance-cooperative', 'share-'],
  confluent: ['share-'],
  'kafka-ts': ['consume-commit-auto', 'consume-commit-message', 'rebalance-cooperative', 'share-'],
  kafkats: ['consume-commit-batch', 'consume-commit-message', 'rebalance-kip848'],
}

export function expectedUnsupported(benchCase: BenchCase, client: string): boolean {
  return (knownUnsupported[client] ?? []).some((prefix) => benchCase.name.startsWith(prefix))
}

/** Throughput of bigger records relative to 100 B ones, roughly, in records per second. */
const sizeFactor = (sizeBytes: number) => Math.min(1, (100 / sizeBytes) ** 0.6)

/** Seconds one measurement of `benchCase` by `client` should take, start-up included. */
export function forecastSeconds(benchCase: BenchCase, client: string): number {
  const startup = startupSeconds[client] ?? nodeStartupSeconds
  if (expectedUnsupported(benchCase, client)) return client === 'java' || client === 'kcat' ? 0 : startup
  switch (benchCase.kind) {
    case 'produce': {
      const rate = (roughRates.produce?.[client] ?? slowest.produce) * sizeFactor(benchCase.sizeBytes)
      return startup + benchCase.messages / rate
    }
    case 'consume': {
      if (benchCase.share === true) {
        return startup + joinSeconds + benchCase.messages / (roughRates.share?.[client] ?? slowest.share)
      }
      if (benchCase.commit === 'message') {
        return (
          startup +
          joinSeconds +
          benchCase.messages / (roughRates.commitMessage?.[client] ?? slowest.commitMessage)
        )
      }
      const rate = (roughRates.consume?.[client] ?? slowest.consume) * sizeFactor(benchCase.sizeBytes)
      return startup + joinSeconds + benchCase.messages / rate
    }
    case 'latency':
      return startup + joinSeconds + benchCase.messages / benchCase.ratePerSec
    case 'rebalance':
      // Member A joins and sees every partition, member B joins, then the window runs out.
      return startup + 2 * joinSeconds + benchCase.windowMs / 1000 + 2
  }
}

/** Seconds for all runs of a case by a client: a client that cannot do the case drops out after one. */
export function forecastCaseSeconds(
  benchCase: BenchCase,
  client: string,
  runs: number,
  warmup: boolean,
): number {
  const one = forecastSeconds(benchCase, client)
  if (expectedUnsupported(benchCase, client)) return one
  const warm =
    warmup && benchCase.warmupMessages > 0
      ? forecastSeconds({ ...benchCase, messages: benchCase.warmupMessages }, client)
      : 0
  return one * runs + warm
}

/** Seconds for writing a consume backlog with samsa. */
export function backlogSeconds(benchCase: BenchCase): number {
  return benchCase.kind === 'consume'
    ? 1 + (benchCase.messages * Math.max(100, benchCase.sizeBytes)) / 80e6
    : 0
}

export function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60)
  const rest = Math.round(seconds % 60)
  return minutes === 0 ? `${rest} s` : `${minutes} min ${String(rest).padStart(2, '0')} s`
}
