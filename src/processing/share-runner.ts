/**
 * `shareConsumer.run()`: the processing surface over a share consumer, with the outcome vocabulary of
 * `consumer.run()`. Each record's handler outcome becomes its acknowledgement: return or `AckMessage` →
 * ACCEPT, `NackMessage` → RELEASE, `RejectMessage` → REJECT, any other error → `onHandlerError` (RELEASE by
 * default, so the broker's delivery-count limit ends a poison record's retries). A handler may also call
 * `message.ack()` / `nack()` / `reject()` itself; then its outcome stands.
 *
 * `NackMessage`'s `delayMs` cannot be honoured: a share group redelivers a released record at once (to any
 * member), and holding it back here would only burn its acquisition lock. A nonzero delay is logged once.
 *
 * The loop polls, hands the records to the handler (`concurrency` at a time), settles each, and polls again;
 * the acknowledgements travel with that next poll's ShareFetch. `stop()` lets the handlers in flight finish
 * (aborting their signal after `drainTimeoutMs`), commits the acknowledgements and closes the consumer.
 */

import { KafkaError, WakeupError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import type { ShareConsumer } from '../consumer/share/share-consumer.ts'
import type { ShareMessage } from '../consumer/share/share-message.ts'
import { AckMessage, NackMessage, RejectMessage } from './outcomes.ts'
import {
  type ResolvedShareRunOptions,
  resolveShareRunOptions,
  type ShareRunOptions,
} from './share-run-options.ts'

/** A running `shareConsumer.run()`. */
export interface ShareRunHandle {
  /** Stops after the handlers in flight (see the module doc), commits, closes the consumer. Idempotent. */
  stop(options?: { timeoutMs?: number }): Promise<void>
  /** Settles when the run has ended: resolves after `stop()`, rejects with the error that ended it otherwise. */
  readonly done: Promise<void>
}

type Outcome = 'accept' | 'release' | 'reject'

export function runShareConsumer(
  consumer: ShareConsumer,
  options: ShareRunOptions,
  logger: Logger,
): ShareRunHandle {
  const resolved = resolveShareRunOptions(options)
  return new ShareRunner(consumer, resolved, logger).start()
}

class ShareRunner {
  private readonly consumer: ShareConsumer
  private readonly options: ResolvedShareRunOptions
  private readonly logger: Logger
  private readonly stopping = new AbortController()
  private readonly handlers = new AbortController()
  private stopped: Promise<void> | undefined
  private loop: Promise<void> = Promise.resolve()
  private warnedDelay = false

  constructor(consumer: ShareConsumer, options: ResolvedShareRunOptions, logger: Logger) {
    this.consumer = consumer
    this.options = options
    this.logger = logger
  }

  private readonly onSignal = (): void => {
    this.stop().catch((error: unknown) => this.report(error))
  }

  start(): ShareRunHandle {
    if (this.options.handleSignals) {
      process.once('SIGTERM', this.onSignal)
      process.once('SIGINT', this.onSignal)
    }
    this.consumer.onAcknowledgement((results) => {
      for (const result of results) if (result.error !== null) this.report(result.error)
    })
    this.loop = this.run()
    const done = this.loop.then(() => this.stopped)
    // `done` is for those who want it; an unobserved failure is reported through onError already.
    done.catch(() => {})
    return { stop: (options) => this.stop(options?.timeoutMs), done }
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let messages: ShareMessage[]
      try {
        messages = await this.consumer.poll({ timeoutMs: 1000, signal: this.stopping.signal })
      } catch (error) {
        if (error instanceof WakeupError && this.stopping.signal.aborted) return
        if (error instanceof KafkaError && error.retriable) {
          this.report(error)
          continue
        }
        throw error
      }
      if (messages.length === 0) continue
      if (this.options.eachBatch !== undefined) await this.batch(messages)
      else await this.each(messages)
    }
  }

  private async each(messages: ShareMessage[]): Promise<void> {
    let next = 0
    const worker = async () => {
      while (next < messages.length) {
        const message = messages[next++]!
        const outcome = await this.outcomeOf([message], () =>
          this.options.eachMessage!({ message, signal: this.handlers.signal }),
        )
        this.settle([message], outcome)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, messages.length) }, worker))
  }

  private async batch(messages: ShareMessage[]): Promise<void> {
    const outcome = await this.outcomeOf(messages, () =>
      this.options.eachBatch!({ messages, signal: this.handlers.signal }),
    )
    this.settle(messages, outcome)
  }

  /** Runs a handler (renewing its records' locks meanwhile with `renewLocks`) and maps how it ended. */
  private async outcomeOf(
    messages: ShareMessage[],
    handler: () => Promise<void> | void,
  ): Promise<{ outcome: Outcome; error?: unknown }> {
    const renewal = this.options.renewLocks ? this.renewWhileRunning(messages) : undefined
    try {
      await handler()
      return { outcome: 'accept' }
    } catch (error) {
      if (error instanceof AckMessage) return { outcome: 'accept' }
      if (error instanceof NackMessage) {
        if (error.delayMs > 0 && !this.warnedDelay) {
          this.warnedDelay = true
          this.logger.warn(
            'NackMessage delayMs is not honoured by share groups: the record is released at once',
          )
        }
        return { outcome: 'release' }
      }
      if (error instanceof RejectMessage) return { outcome: 'reject', error }
      return { outcome: this.options.onHandlerError, error }
    } finally {
      if (renewal !== undefined) clearInterval(renewal)
    }
  }

  /** Renews the still unacknowledged `messages` every half lock duration until the timer is cleared. */
  private renewWhileRunning(messages: ShareMessage[]): NodeJS.Timeout {
    const lockMs = this.consumer.acquisitionLockTimeoutMs
    const everyMs = Math.max(1000, Math.floor((lockMs > 0 ? lockMs : 30_000) / 2))
    return setInterval(() => {
      for (const message of messages) {
        if (message.acknowledgement !== undefined) continue
        message.renew().catch((error: unknown) => this.report(error, message))
      }
    }, everyMs)
  }

  private settle(messages: ShareMessage[], result: { outcome: Outcome; error?: unknown }): void {
    if (result.error !== undefined && !(result.error instanceof RejectMessage)) {
      this.report(result.error, messages.length === 1 ? messages[0] : undefined)
    }
    for (const message of messages) {
      if (message.acknowledgement !== undefined) continue
      if (result.outcome === 'accept') message.ack()
      else if (result.outcome === 'release') message.nack()
      else message.reject()
    }
  }

  private report(error: unknown, message?: ShareMessage): void {
    if (this.options.onError !== undefined) {
      try {
        this.options.onError(error, message)
      } catch (thrown) {
        this.logger.warn('run onError threw', { error: thrown })
      }
      return
    }
    this.logger.warn('share run: handler or acknowledgement failed', { error })
  }

  private stop(timeoutMs = this.options.drainTimeoutMs): Promise<void> {
    this.stopped ??= (async () => {
      process.off('SIGTERM', this.onSignal)
      process.off('SIGINT', this.onSignal)
      this.stopping.abort()
      const timer = setTimeout(() => this.handlers.abort(), timeoutMs)
      try {
        await this.loop.catch(() => {})
      } finally {
        clearTimeout(timer)
      }
      try {
        await this.consumer.commit()
      } finally {
        await this.consumer.close()
      }
    })()
    return this.stopped
  }
}
