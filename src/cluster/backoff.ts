/**
 * Exponential backoff with jitter, for retries and reconnects. Jitter spreads the retries of many clients
 * hit by the same broker restart, so they do not all come back at the same instant.
 */

/** Fraction by which a delay is randomly shortened or lengthened. */
const JITTER = 0.2

/**
 * The delay before retry number `attempt` (0 for the first retry): `baseMs * 2^attempt`, capped at `maxMs`,
 * then scaled by a random factor in [0.8, 1.2] and capped again.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  const jittered = exponential * (1 - JITTER + 2 * JITTER * random())
  return Math.round(Math.min(maxMs, jittered))
}

/** Resolves after `ms`; rejects with the signal's reason if `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
