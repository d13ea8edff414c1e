/**
 * Fault injection for tests: rules that make chosen requests fail the way a real cluster's can. Each rule
 * matches an API (by name or key) and optionally a node, for a number of requests (default: until removed),
 * and does one of:
 * - `errorCode`: the request is handled as usual, then every error code in the response is set to this one
 *   (the broker seemed to refuse every part of it; the side effects, if any, happened);
 * - `delayMs`: the response leaves that much later;
 * - `drop: 'request'`: the connection closes before the request is handled (nothing happened);
 * - `drop: 'response'`: the request is handled, then the connection closes halfway through the response
 *   (it happened, but the client cannot know: the case that makes retries dangerous).
 * `pause` holds every request to a node (or all nodes) until `resume`, as a stalled broker would.
 */

import { ErrorCode } from '../protocol/errors/error-codes.ts'
import type { RequestInterceptor, Verdict } from './connection.ts'

export interface FaultRule {
  /** The API, by name as Kafka spells it (`Fetch`, `OffsetCommit`) or by key. */
  readonly api: string | number
  /** Only requests to this node; default every node. */
  readonly node?: number
  /** How many matching requests the rule applies to; default every one until removed. */
  readonly times?: number
  /** Kafka's error code, by number or name (`'NOT_LEADER_OR_FOLLOWER'`). */
  readonly errorCode?: number | keyof typeof ErrorCode
  readonly delayMs?: number
  readonly drop?: 'request' | 'response'
}

/** A rule in force; `remove` ends it, `hits` counts the requests it applied to. */
export interface InjectedFault {
  readonly hits: number
  remove(): void
}

interface ActiveRule {
  readonly rule: FaultRule
  readonly apiKey: number
  readonly errorCode: number | undefined
  remaining: number
  hits: number
}

export class FaultInjector implements RequestInterceptor {
  readonly #rules: ActiveRule[] = []
  readonly #apiKeys: ReadonlyMap<string, number>
  /** Paused nodes (-1: all) and the promise requests wait on. */
  readonly #paused = new Map<number, { wait: Promise<void>; release: () => void }>()

  /** `apiKeys`: API name to key, for rules that name their API. */
  constructor(apiKeys: ReadonlyMap<string, number>) {
    this.#apiKeys = apiKeys
  }

  inject(rule: FaultRule): InjectedFault {
    const apiKey = typeof rule.api === 'number' ? rule.api : this.#apiKeys.get(rule.api)
    if (apiKey === undefined) {
      throw new RangeError(`unknown API "${String(rule.api)}"; use a name such as Fetch or OffsetCommit`)
    }
    const kinds = [rule.errorCode, rule.delayMs, rule.drop].filter((x) => x !== undefined).length
    if (kinds !== 1) throw new RangeError('a fault rule needs exactly one of errorCode, delayMs and drop')
    const times = rule.times ?? Number.POSITIVE_INFINITY
    if (!(times >= 1)) throw new RangeError(`times must be at least 1, got ${times}`)
    const errorCode = typeof rule.errorCode === 'string' ? ErrorCode[rule.errorCode] : rule.errorCode
    if (rule.errorCode !== undefined && errorCode === undefined) {
      throw new RangeError(`unknown error code ${JSON.stringify(rule.errorCode)}`)
    }
    const active: ActiveRule = { rule, apiKey, errorCode, remaining: times, hits: 0 }
    this.#rules.push(active)
    return {
      get hits() {
        return active.hits
      },
      remove: () => this.#remove(active),
    }
  }

  /** Removes every rule and releases every pause. */
  clear(): void {
    this.#rules.length = 0
    for (const node of [...this.#paused.keys()]) this.resume(node)
  }

  /** Holds requests to `node` (default: every node) until {@link resume}. */
  pause(node = -1): void {
    if (this.#paused.has(node)) return
    let release!: () => void
    const wait = new Promise<void>((resolve) => {
      release = resolve
    })
    this.#paused.set(node, { wait, release })
  }

  resume(node = -1): void {
    const paused = this.#paused.get(node)
    this.#paused.delete(node)
    paused?.release()
  }

  async intercept(nodeId: number, apiKey: number): Promise<Verdict> {
    for (;;) {
      const paused = this.#paused.get(nodeId) ?? this.#paused.get(-1)
      if (paused === undefined) break
      await paused.wait
    }
    const active = this.#rules.find(
      (r) => r.apiKey === apiKey && (r.rule.node === undefined || r.rule.node === nodeId),
    )
    if (active === undefined) return 'handle'
    active.hits += 1
    active.remaining -= 1
    if (active.remaining <= 0) this.#remove(active)
    const { rule } = active
    if (rule.delayMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, rule.delayMs))
      return 'handle'
    }
    if (rule.drop === 'request') return 'drop'
    if (rule.drop === 'response') return 'truncate'
    return { errorCode: active.errorCode! }
  }

  #remove(active: ActiveRule): void {
    const at = this.#rules.indexOf(active)
    if (at >= 0) this.#rules.splice(at, 1)
  }
}
