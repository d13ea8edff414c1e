/**
 * The entry point: `new Kafka({ bootstrap })` validates the client options once, and each factory returns a
 * client with its own {@link Cluster} (metadata and connections).
 *
 * Clients do not share connections on purpose. A broker answers the requests of one connection strictly in
 * order, so a consumer's long-polling Fetch would hold up a producer's Produce on a shared socket; the Java
 * client makes the same choice.
 */

import { Admin } from './admin/admin.ts'
import {
  type ClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './cluster/client-options.ts'
import { Cluster } from './cluster/cluster.ts'
import { IllegalStateError } from './common/errors.ts'
import { Consumer } from './consumer/consumer.ts'
import type { ConsumerOptions } from './consumer/consumer-options.ts'
import { ShareConsumer } from './consumer/share/share-consumer.ts'
import type { ShareConsumerOptions } from './consumer/share/share-options.ts'
import type { RunOptions } from './processing/run-options.ts'
import { type RunHandle, runConsumer } from './processing/runner.ts'
import type { ShareRunOptions } from './processing/share-run-options.ts'
import { runShareConsumer, type ShareRunHandle } from './processing/share-runner.ts'
import type { ProducerCloseOptions } from './producer/producer.ts'
import { Producer } from './producer/producer.ts'
import type { ProducerOptions } from './producer/producer-options.ts'

/** A producer that closes its own connections when it is closed. */
class OwningProducer extends Producer {
  readonly #cluster: Cluster
  constructor(cluster: Cluster, options: ProducerOptions | undefined) {
    super(cluster, options)
    this.#cluster = cluster
  }
  override async close(options?: ProducerCloseOptions): Promise<void> {
    try {
      await super.close(options)
    } finally {
      await this.#cluster.close()
    }
  }
}

/**
 * The consumer `kafka.consumer()` returns: the full {@link Consumer} API plus the processing surface,
 * `run()` / `stop()`, and it closes its own connections when it is closed.
 */
export class KafkaConsumer extends Consumer {
  readonly #cluster: Cluster
  #runner: RunHandle | undefined

  constructor(cluster: Cluster, options: ConsumerOptions | undefined) {
    super(cluster, options)
    this.#cluster = cluster
  }

  /**
   * Processes messages with handlers and commits what they finished, by the acknowledgement mode chosen
   * (`after-success`: at-least-once; `before-processing`: at-most-once; `manual`). `run` owns commits, so
   * the consumer must be created with `enableAutoCommit: false`. Resolves once the runner started;
   * `stop()` drains in-flight handlers, commits and leaves the group.
   */
  async run(options: RunOptions): Promise<RunHandle> {
    if (this.#runner !== undefined) throw new IllegalStateError('run() was already called on this consumer')
    this.#runner = await runConsumer(this, options, {
      logger: this.#cluster.options.logger,
      // Dead letters, when asked for without a producer: one over this consumer's connections.
      createProducer: () => new Producer(this.#cluster),
    })
    return this.#runner
  }

  /** Stops a `run()`: stops fetching, waits for in-flight handlers, runs `onShutdown`, commits, closes. */
  async stop(options?: { timeoutMs?: number }): Promise<void> {
    if (this.#runner === undefined) throw new IllegalStateError('stop() needs a consumer started with run()')
    await this.#runner.stop(options)
  }

  override async close(): Promise<void> {
    try {
      await super.close()
    } finally {
      await this.#cluster.close()
    }
  }
}

/**
 * The share consumer `kafka.shareConsumer()` returns (KIP-932): the {@link ShareConsumer} API, closing its own
 * connections when it is closed.
 */
export class KafkaShareConsumer extends ShareConsumer {
  readonly #cluster: Cluster
  #runner: ShareRunHandle | undefined

  constructor(cluster: Cluster, options: ShareConsumerOptions) {
    super(cluster, options)
    this.#cluster = cluster
  }

  /**
   * Processes records with a handler whose outcome acknowledges each one: returning or `AckMessage` accepts,
   * `NackMessage` releases, `RejectMessage` rejects, another error releases (see `onHandlerError`). Call
   * `subscribe()` first; `stop()` drains, commits and closes.
   */
  async run(options: ShareRunOptions): Promise<ShareRunHandle> {
    if (this.#runner !== undefined)
      throw new IllegalStateError('run() was already called on this share consumer')
    this.#runner = runShareConsumer(this, options, this.#cluster.options.logger)
    return this.#runner
  }

  /** Stops a `run()`: waits for in-flight handlers, commits the acknowledgements, closes. */
  async stop(options?: { timeoutMs?: number }): Promise<void> {
    if (this.#runner === undefined)
      throw new IllegalStateError('stop() needs a share consumer started with run()')
    await this.#runner.stop(options)
  }

  override async close(): Promise<void> {
    try {
      await super.close()
    } finally {
      await this.#cluster.close()
    }
  }
}

/** An admin client that closes its own connections when it is closed. */
class OwningAdmin extends Admin {
  readonly #cluster: Cluster
  constructor(cluster: Cluster) {
    super(cluster)
    this.#cluster = cluster
  }
  /** Closes the admin client's connections. */
  async close(): Promise<void> {
    await this.#cluster.close()
  }
}

export class Kafka {
  /** The validated client options every client of this instance starts from. */
  readonly options: ResolvedClientOptions

  /**
   * @param options Where the cluster is and how to talk to it; validated now, so a typo fails here with a
   *   `ConfigError` naming the option rather than at the first request.
   */
  constructor(options: ClientOptions) {
    this.options = resolveClientOptions(options)
  }

  /** A new producer. Call `close()` when done: it flushes pending records and closes its connections. */
  producer(options?: ProducerOptions): Producer {
    return new OwningProducer(new Cluster(this.options), options)
  }

  /** A new consumer. Call `close()` when done: it commits (in group mode), leaves the group and disconnects. */
  consumer(options?: ConsumerOptions): KafkaConsumer {
    return new KafkaConsumer(new Cluster(this.options), options)
  }

  /**
   * A new share consumer (KIP-932): a member of share group `groupId`, sharing the records of its topics with
   * the group's other members one record at a time. Call `close()` when done: it sends the last
   * acknowledgements and leaves the group.
   */
  shareConsumer(options: ShareConsumerOptions): KafkaShareConsumer {
    return new KafkaShareConsumer(new Cluster(this.options), options)
  }

  /** A new admin client. Call `close()` when done. */
  admin(): Admin & { close(): Promise<void> } {
    return new OwningAdmin(new Cluster(this.options))
  }
}
