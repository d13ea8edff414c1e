/**
 * Polling until the cluster's metadata reflects an admin change. In KRaft the controller commits a topic
 * creation to its log and every broker applies it a little later, so a `CreateTopics` success does not yet
 * mean the topic can be produced to; callers expect it to, so admin calls wait for the brokers to catch up.
 */

import { TimeoutError } from '../common/errors.ts'

const firstDelayMs = 20
const maxDelayMs = 500

/**
 * Calls `check` until it returns a value other than `undefined`, backing off between calls, and fails with
 * {@link TimeoutError} naming `what` once `deadline` (a `Date.now()` value) has passed.
 */
export async function waitUntil<T>(
  what: string,
  deadline: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  let delayMs = firstDelayMs
  for (;;) {
    const result = await check()
    if (result !== undefined) return result
    const remainingMs = deadline - Date.now()
    if (remainingMs <= 0) throw new TimeoutError(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, remainingMs)))
    delayMs = Math.min(delayMs * 2, maxDelayMs)
  }
}
