/**
 * A member's liveness, independent of how busy the application keeps the main thread.
 *
 * Node runs handlers and heartbeat timers on one thread. A handler that blocks it (synchronous I/O, a long
 * computation) for longer than the session timeout would get a healthy member evicted, and an application
 * that stopped polling would keep its partitions as long as its timers still fire. The Java client solves
 * both with a heartbeat thread; this is the same thing on a worker thread (background-heartbeat-worker.ts):
 * the main thread stamps polls and its own heartbeats into shared memory, and the worker heartbeats when the
 * main thread's heartbeat is overdue and leaves the group when the poll stamp is older than
 * `maxPollIntervalMs`. What the worker learns comes back as messages that the membership acts on once the
 * main thread is free.
 *
 * Without a worker (options a worker cannot receive, such as an OAUTHBEARER token callback or a custom socket
 * factory; `backgroundHeartbeat: false`; or a worker that failed), a main-thread timer keeps the poll clock
 * and heartbeats only run when the main thread is free.
 */

import { Worker } from 'node:worker_threads'
import type { ConnectionSettings } from '../../cluster/client-options.ts'
import type { Logger } from '../../common/logger.ts'
import {
  CLOCK_LAST_MAIN_HEARTBEAT,
  CLOCK_LAST_POLL,
  CLOCK_SLOTS,
  type MainToWorker,
  type MemberState,
  type WorkerSetup,
  type WorkerToMain,
} from './background-heartbeat-protocol.ts'
import { PollTimer } from './membership.ts'

export type { MemberState } from './background-heartbeat-protocol.ts'

export interface LivenessInit {
  protocol: 'classic' | 'consumer'
  groupId: string
  groupInstanceId: string | null
  maxPollIntervalMs: number
  /** Undefined: no worker (main-thread timers only). */
  connection: ConnectionSettings | undefined
  logger: Logger
  /** The worker heartbeated for the busy main thread; `response` is the coordinator's answer. */
  onAnswer(answer: { version: number; epoch: number; response: unknown }): void
  /** The application did not poll within maxPollIntervalMs. `left`: a LeaveGroup already went out. */
  onPollExpired(left: boolean): void
}

/** Resolves to the worker's module next to this one, as .ts from source and .js once built. */
const workerUrl = new URL(
  `./background-heartbeat-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
)

/**
 * How long a stopped worker has to exit by itself before it is terminated: long enough for one still
 * loading its module on a busy machine (a second or more with many consumers starting at once).
 */
const WORKER_EXIT_GRACE_MS = 10_000

export class Liveness {
  private readonly init: LivenessInit
  private readonly originMs = performance.timeOrigin + performance.now() - 1
  private readonly clock: Int32Array | undefined
  private worker: Worker | undefined
  private readonly pollTimer: PollTimer
  private state: MemberState = {
    active: false,
    memberId: '',
    epoch: -1,
    heartbeatIntervalMs: 3000,
    coordinator: null,
    version: 0,
  }
  /** A poll timeout the worker reported that the next poll has not seen yet. */
  private expiredUnseen = false
  private closed = false

  constructor(init: LivenessInit) {
    this.init = init
    this.pollTimer = new PollTimer(init.maxPollIntervalMs, () => init.onPollExpired(false))
    if (init.connection === undefined) return
    const shared = new SharedArrayBuffer(CLOCK_SLOTS * Int32Array.BYTES_PER_ELEMENT)
    this.clock = new Int32Array(shared)
    const setup: WorkerSetup = {
      protocol: init.protocol,
      groupId: init.groupId,
      groupInstanceId: init.groupInstanceId,
      connection: init.connection,
      maxPollIntervalMs: init.maxPollIntervalMs,
      originMs: this.originMs,
      clock: shared,
    }
    try {
      const worker = new Worker(workerUrl, { workerData: setup, name: `samsa-heartbeat-${init.groupId}` })
      // The worker serves the consumer; it must not keep the process alive on its own.
      worker.unref()
      worker.on('message', (message: WorkerToMain) => this.onMessage(message))
      worker.on('error', (error) => this.onWorkerGone(error))
      worker.on('exit', (code) => {
        if (this.worker === worker) this.onWorkerGone(new Error(`exited with code ${code}`))
      })
      this.worker = worker
    } catch (error) {
      this.onWorkerGone(error)
    }
  }

  /** True while a worker covers heartbeats and the poll clock. */
  get background(): boolean {
    return this.worker !== undefined
  }

  /** The application asked for messages. Returns true when a poll timeout happened since the previous poll. */
  notePoll(): boolean {
    if (this.worker === undefined) return this.pollTimer.poll()
    Atomics.store(this.clock!, CLOCK_LAST_POLL, this.stamp())
    const expired = this.expiredUnseen
    this.expiredUnseen = false
    return expired
  }

  /** Starts the poll clock over (listener time is the application's), keeping a reported expiry for the next poll. */
  restartPollClock(): void {
    if (this.worker === undefined) this.pollTimer.poll()
    else Atomics.store(this.clock!, CLOCK_LAST_POLL, this.stamp())
  }

  /** The main thread sent a heartbeat of its own: the worker need not cover for it. */
  noteHeartbeat(): void {
    if (this.clock !== undefined) Atomics.store(this.clock, CLOCK_LAST_MAIN_HEARTBEAT, this.stamp())
  }

  /** Tells the worker what the member is now. Returns the state's version, which answers refer to. */
  update(state: Omit<MemberState, 'version'>): number {
    this.state = { ...state, version: this.state.version + 1 }
    this.post({ kind: 'member', state: this.state })
    return this.state.version
  }

  /** The current state's version: an answer with an older one was sent for a member that has moved on. */
  get version(): number {
    return this.state.version
  }

  /** Stops the poll clock (a closing consumer is not expected to poll). */
  stopPollClock(): void {
    this.pollTimer.stop()
    if (this.clock !== undefined) Atomics.store(this.clock, CLOCK_LAST_POLL, 0)
  }

  /**
   * Stops the poll clock and the worker. Resolves with the worker's exit code once it has gone (0: it
   * exited by itself), or undefined without one; nothing needs to wait for it.
   */
  close(): Promise<number | undefined> {
    this.closed = true
    this.stopPollClock()
    const worker = this.worker
    this.worker = undefined
    if (worker === undefined) return Promise.resolve(undefined)
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
    // The worker closes its connection and exits by itself, once it has loaded (a stop posted earlier waits
    // in its queue): terminating a worker still loading its module, or mid socket operation, is where Node's
    // worker teardown has crashed the whole process. terminate() is only for a worker stuck that long.
    worker.postMessage({ kind: 'stop' } satisfies MainToWorker)
    const fallback = setTimeout(() => void worker.terminate(), WORKER_EXIT_GRACE_MS)
    fallback.unref()
    return exited.finally(() => clearTimeout(fallback))
  }

  private onMessage(message: WorkerToMain): void {
    switch (message.kind) {
      case 'answer':
        this.init.onAnswer(message)
        return
      case 'poll-expired':
        if (message.version !== this.state.version) return
        this.expiredUnseen = true
        this.init.onPollExpired(message.left)
        return
      case 'log':
        this.init.logger[message.level](message.message, message.fields)
    }
  }

  /** Falls back to main-thread timers: heartbeats still run, just not while the main thread is blocked. */
  private onWorkerGone(error: unknown): void {
    if (this.closed) return
    this.worker = undefined
    this.init.logger.warn('the background heartbeat thread stopped; heartbeats continue on the main thread', {
      groupId: this.init.groupId,
      error,
    })
    this.pollTimer.poll()
  }

  private post(message: MainToWorker): void {
    this.worker?.postMessage(message)
  }

  private stamp(): number {
    return Math.max(1, Math.round(performance.timeOrigin + performance.now() - this.originMs))
  }
}
