/**
 * The producer: validates records, picks their partitions, and hands them to the accumulator, which
 * batches them for the sender. `send()` resolves when the broker has the record (as `acks` defines it).
 *
 * The path of a record that can go straight in (topic metadata known, buffer space free) is synchronous up
 * to the batch: no timer, no extra promise. Only a record that must wait, for metadata or for buffer space,
 * takes the slow path, and records sent after it queue behind it so a partition's order is the order of the
 * calls.
 */

import type { Cluster } from '../cluster/cluster.ts'
import type { TopicInfo } from '../cluster/metadata.ts'
import { ClosedError, ConfigError, IllegalStateError, TimeoutError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import { validateTopicName } from '../common/validate.ts'
import {
  type EncodableRecord,
  type EncodedHeader,
  estimateRecordFieldsBytes,
} from '../protocol/records/batch-builder.ts'
import { BufferMemory } from './buffer-memory.ts'
import { BatchDelivery, type DeliverySink, SingleDelivery } from './delivery.ts'
import { RecordTooLargeError } from './errors.ts'
import { IdempotenceState } from './idempotence.ts'
import { DefaultPartitioner } from './partitioners/default-partitioner.ts'
import {
  type ProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
} from './producer-options.ts'
import { RecordAccumulator } from './record-accumulator.ts'
import { Sender } from './sender.ts'
import { Transaction } from './transactions/transaction.ts'
import { TransactionManager } from './transactions/transaction-manager.ts'
import type {
  TransactionGroupMetadata,
  TransactionOffsets,
  TransactionVersion,
} from './transactions/types.ts'
import type { ProducerRecord, RecordMetadata } from './types.ts'

/** Options of {@link Producer.close}. */
export interface ProducerCloseOptions {
  /**
   * How long to wait for buffered records to be sent before failing the rest with `ClosedError`.
   * Default: the producer's `deliveryTimeoutMs`, by which every record has succeeded or failed anyway.
   */
  timeoutMs?: number
}

/**
 * A record validated and encoded, waiting for a partition. It is itself the {@link EncodableRecord} the
 * batch builder reads, so preparing a record allocates one object, not two.
 */
interface PreparedRecord extends EncodableRecord {
  readonly topic: string
  /** The explicit partition, or -1 to let the partitioner choose. */
  readonly partition: number
  readonly sizeBytes: number
  readonly original: ProducerRecord
}

type ProducerState = 'open' | 'closing' | 'closed'

export class Producer {
  /** The options in effect, defaults applied. */
  readonly options: Readonly<ResolvedProducerOptions>
  private readonly cluster: Cluster
  private readonly logger: Logger
  private readonly memory: BufferMemory
  private readonly accumulator: RecordAccumulator
  private readonly sender: Sender
  private readonly idempotence: IdempotenceState | null
  private readonly transactions: TransactionManager | null
  private readonly defaultPartitioner = new DefaultPartitioner()
  private state: ProducerState = 'open'
  private closing: Promise<void> | null = null
  /** Appends on the slow path not yet done; while > 0, every append queues behind them. */
  private slowAppends = 0
  private slowTail: Promise<void> = Promise.resolve()
  private readonly validTopics = new Set<string>()
  private readonly availablePartitions = new WeakMap<TopicInfo, number[]>()

  /**
   * Validates `options` (throwing {@link ConfigError} naming the option) and creates a producer that
   * shares `cluster`'s metadata and connections. Nothing is sent until the first record.
   */
  constructor(
    cluster: Cluster,
    options: ProducerOptions = {},
    /** @internal Forces a transaction protocol version instead of asking the coordinator (tests). */
    transactionVersion?: TransactionVersion,
  ) {
    this.options = resolveProducerOptions(options, { requestTimeoutMs: cluster.options.requestTimeoutMs })
    this.cluster = cluster
    this.logger = cluster.options.logger
    this.memory = new BufferMemory(this.options.bufferMemoryBytes)
    this.accumulator = new RecordAccumulator({
      batchBytes: this.options.batchBytes,
      lingerMs: this.options.lingerMs,
      onBatchClosed: (topic, partition) => this.defaultPartitioner.batchClosed(topic, partition),
    })
    this.idempotence = this.options.idempotent ? new IdempotenceState() : null
    const transactionalId = this.options.transactionalId
    this.transactions =
      transactionalId === null
        ? null
        : new TransactionManager({
            cluster,
            transactionalId,
            transactionTimeoutMs: this.options.transactionTimeoutMs,
            maxBlockMs: this.options.maxBlockMs,
            requestTimeoutMs: this.options.requestTimeoutMs,
            idempotence: this.idempotence!,
            logger: this.logger,
            flush: () => this.flush(),
            failUnsent: (error) => this.sender.failUnsent(error),
            wakeSender: () => this.sender.wake(),
            ...(transactionVersion === undefined ? {} : { transactionVersion }),
          })
    this.sender = new Sender({
      cluster,
      options: this.options,
      accumulator: this.accumulator,
      memory: this.memory,
      idempotence: this.idempotence,
      transactions: this.transactions,
      logger: this.logger,
    })
  }

  // -- transactions --------------------------------------------------------------------------------------

  /**
   * Transactional producers: registers `transactionalId` with its coordinator and obtains the producer id.
   * Call once, before the first transaction. Fences any older producer with the same `transactionalId`
   * (its next operation fails with {@link ProducerFencedError}) and aborts the transaction it left open.
   */
  initTransactions(): Promise<void> {
    return this.transactional('initTransactions').initTransactions()
  }

  /** Opens a transaction: records sent from now until commit or abort belong to it. */
  beginTransaction(): void {
    this.transactional('beginTransaction').beginTransaction()
  }

  /**
   * Adds consumer offsets to the open transaction, so the input is marked consumed exactly when the output
   * commits (consume-transform-produce). `offsets` are the next offsets to read (last processed offset + 1);
   * `group` is `consumer.groupMetadata()`. A {@link CommitFailedError} means the consumer lost the
   * partitions: abort the transaction.
   */
  sendOffsetsToTransaction(offsets: TransactionOffsets, group: TransactionGroupMetadata): Promise<void> {
    try {
      return this.transactional('sendOffsetsToTransaction').sendOffsetsToTransaction(offsets, group)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Sends every buffered record and commits the open transaction. Rejects with
   * {@link TransactionAbortableError} if a record or the offsets failed (call `abortTransaction()`), or
   * {@link ProducerFencedError} if another producer took over the `transactionalId` (close this one).
   */
  commitTransaction(): Promise<void> {
    try {
      return this.transactional('commitTransaction').commitTransaction()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Aborts the open transaction: its records stay invisible to `read_committed` consumers, its offsets uncommitted. */
  abortTransaction(): Promise<void> {
    try {
      return this.transactional('abortTransaction').abortTransaction()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Runs `work` in a transaction: begins one (calling `initTransactions()` first if it was never called),
   * commits when `work` resolves and aborts when it throws, rethrowing its error. Resolves with what
   * `work` returned.
   */
  async transaction<T>(work: (transaction: Transaction) => Promise<T>): Promise<T> {
    const manager = this.transactional('transaction')
    if (manager.state === 'uninitialized') await manager.initTransactions()
    manager.beginTransaction()
    const transaction = new Transaction(this)
    let result: T
    try {
      result = await work(transaction)
    } catch (error) {
      transaction.end()
      await this.abortAfter(manager, error)
      throw error
    }
    transaction.end()
    try {
      await manager.commitTransaction()
    } catch (error) {
      // A commit that cannot succeed leaves the transaction to abort; fencing leaves nothing to do.
      if (manager.state === 'abortable-error') await this.abortAfter(manager, error)
      throw error
    }
    return result
  }

  /** The transactional state, for diagnostics: `'uninitialized'`, `'ready'`, `'in-transaction'`, ... */
  get transactionState(): string | null {
    return this.transactions?.state ?? null
  }

  /** On close: aborts the open transaction, if any; a failure is logged (the coordinator's timeout remains). */
  private async abortOpenTransaction(): Promise<void> {
    const manager = this.transactions
    if (manager === null) return
    if (manager.state !== 'in-transaction' && manager.state !== 'abortable-error') return
    try {
      await manager.abortTransaction()
      this.logger.info('aborted the open transaction on close', { transactionalId: manager.transactionalId })
    } catch (error) {
      this.logger.warn('could not abort the open transaction on close', {
        transactionalId: manager.transactionalId,
        error,
      })
    }
  }

  private async abortAfter(manager: TransactionManager, cause: unknown): Promise<void> {
    if (manager.state === 'fatal-error') return
    try {
      await manager.abortTransaction()
    } catch (abortError) {
      this.logger.warn('could not abort the transaction after a failure', {
        transactionalId: manager.transactionalId,
        error: abortError,
        cause,
      })
    }
  }

  private transactional(operation: string): TransactionManager {
    if (this.transactions === null) {
      throw new IllegalStateError(
        `${operation}() needs a transactional producer: create it with the transactionalId option`,
      )
    }
    if (this.state !== 'open') throw this.closedError()
    return this.transactions
  }

  /** The producer id and epoch the broker assigned (idempotent producers), or -1 before the first send. */
  get producerIdentity(): { producerId: bigint; producerEpoch: number } {
    return {
      producerId: this.idempotence?.producerId ?? -1n,
      producerEpoch: this.idempotence?.producerEpoch ?? -1,
    }
  }

  /**
   * Sends one record. Resolves with where it was written once the broker acknowledged it; with `acks: 0`,
   * once it was written to the socket, with offset `-1n`. Rejects with a {@link KafkaError} that names the
   * topic and partition (a `KafkaError`), a {@link ConfigError} for a malformed record, `BufferFullError` when the buffer
   * stayed full for `maxBlockMs`, or {@link ClosedError} after `close()`.
   */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.state !== 'open') return Promise.reject(this.closedError())
    const delivery = new SingleDelivery()
    try {
      this.transactions?.ensureCanSend()
      const now = Date.now()
      const prepared = this.prepare(record, now)
      if (this.slowAppends > 0 || !this.tryAppend(prepared, delivery, 0, now)) {
        this.appendSlowly([prepared], delivery, 0).catch((error: unknown) =>
          delivery.failed(0, error as Error),
        )
      }
    } catch (error) {
      return Promise.reject(error)
    }
    return delivery.promise
  }

  /**
   * Sends many records with one promise for all of them, resolving with their metadata in the same order.
   * Every record is validated before any is sent. On failure it rejects with the first error; records
   * appended before the failing one are still delivered.
   */
  sendBatch(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.state !== 'open') return Promise.reject(this.closedError())
    if (!Array.isArray(records)) {
      return Promise.reject(new ConfigError('records', 'expected an array of records'))
    }
    const count = records.length
    const prepared = new Array<PreparedRecord>(count)
    const now = Date.now()
    try {
      this.transactions?.ensureCanSend()
      for (let i = 0; i < count; i++) prepared[i] = this.prepare(records[i]!, now)
    } catch (error) {
      return Promise.reject(error)
    }
    const delivery = new BatchDelivery(count)
    let i = 0
    try {
      if (this.slowAppends === 0) {
        while (i < count && this.tryAppend(prepared[i]!, delivery, i, now)) i++
      }
    } catch (error) {
      delivery.abandon(error as Error)
      return delivery.promise
    }
    if (i < count) {
      this.appendSlowly(i === 0 ? prepared : prepared.slice(i), delivery, i).catch((error: unknown) =>
        delivery.abandon(error as Error),
      )
    }
    return delivery.promise
  }

  /**
   * Sends every buffered record now, without waiting for `lingerMs`, and resolves once all records sent
   * before the call have succeeded or failed. Never rejects: failures are reported by each `send()`.
   */
  async flush(): Promise<void> {
    await this.slowTail
    const flushed = this.accumulator.flush()
    this.sender.wake()
    await flushed
  }

  /**
   * Flushes, then stops the producer. Records still unsent after `timeoutMs` fail with {@link ClosedError},
   * as do sends made after this call. The shared cluster (connections, metadata) stays open.
   *
   * A transactional producer with an open transaction aborts it first (its records and offsets never become
   * visible), rather than leaving it open until the coordinator's `transactionTimeoutMs` runs out and
   * blocking `read_committed` readers of its partitions meanwhile. A commit still in progress is not touched.
   */
  close(options: ProducerCloseOptions = {}): Promise<void> {
    this.closing ??= this.shutDown(options)
    return this.closing
  }

  private async shutDown(options: ProducerCloseOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.options.deliveryTimeoutMs
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 0) {
      throw new ConfigError('close.timeoutMs', `expected an integer >= 0, got ${String(timeoutMs)}`)
    }
    this.state = 'closing'
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    try {
      const outcome = await Promise.race([this.abortOpenTransaction().then(() => this.flush()), timedOut])
      if (outcome === 'timeout') {
        this.logger.warn('producer closed before every record was sent', {
          timeoutMs,
          pendingBatches: this.accumulator.incompleteBatches,
        })
      }
    } finally {
      clearTimeout(timer)
      this.state = 'closed'
      const error = new ClosedError(`the producer was closed before the record was sent`)
      this.sender.stop(error)
      this.memory.close(error)
    }
  }

  // -- preparing records -----------------------------------------------------------------------------

  /** Validates and encodes a record; throws ConfigError naming the bad field. */
  private prepare(record: ProducerRecord, now: number): PreparedRecord {
    if (typeof record !== 'object' || record === null) {
      throw new ConfigError(
        'record',
        'expected a record object { topic, value, key?, headers?, partition?, timestamp? }',
      )
    }
    const topic = record.topic
    if (!this.validTopics.has(topic)) {
      validateTopicName('record.topic', topic)
      this.validTopics.add(topic)
    }
    let partition = -1
    if (record.partition !== undefined && record.partition !== null) {
      const p = record.partition
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 0x7fffffff) {
        throw new ConfigError(
          'record.partition',
          `expected a partition number (integer >= 0), got ${String(p)}`,
        )
      }
      partition = p
    }
    let timestamp = now
    if (record.timestamp !== undefined && record.timestamp !== null) {
      const t = record.timestamp
      if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
        throw new ConfigError(
          'record.timestamp',
          `expected ms since the epoch (integer >= 0), got ${String(t)}`,
        )
      }
      timestamp = t
    }
    if (record.value === undefined) {
      throw new ConfigError('record.value', 'expected a Buffer, a string or null, got undefined')
    }
    const key = toBytes('record.key', record.key)
    const value = toBytes('record.value', record.value)
    const headers = encodeHeaders(record.headers)
    const sizeBytes = estimateRecordFieldsBytes(key, value, headers)
    // A record in a batch of its own: the batch header, then the record. Checked here, where the caller
    // can still do something about it, rather than after a broker round trip.
    const batchBytes = sizeBytes + 61
    if (batchBytes > this.options.maxRequestBytes || sizeBytes > this.options.bufferMemoryBytes) {
      const [limit, option] =
        batchBytes > this.options.maxRequestBytes
          ? [this.options.maxRequestBytes, 'maxRequestBytes']
          : [this.options.bufferMemoryBytes, 'bufferMemoryBytes']
      throw new RecordTooLargeError(
        `a record for topic "${topic}" takes ${batchBytes} bytes, more than the producer's ${option} (${limit})`,
        { topic, ...(partition >= 0 ? { partition } : {}), sizeBytes: batchBytes, maxBytes: limit },
      )
    }
    return { topic, partition, timestamp, key, value, headers, sizeBytes, original: record }
  }

  // -- appending -------------------------------------------------------------------------------------

  /**
   * Appends a record if that needs no waiting: its topic's metadata is known and buffer space is free.
   * Returns false when the slow path must take over. Throws for a record that cannot be sent at all.
   */
  private tryAppend(prepared: PreparedRecord, sink: DeliverySink, index: number, now: number): boolean {
    const info = this.cluster.currentMetadata.topics.get(prepared.topic)
    if (info === undefined) return false
    const partitionCount = info.partitions.length
    let partition = prepared.partition
    if (partition >= partitionCount) return false
    if (partition < 0) partition = this.choosePartition(prepared, info)
    if (!this.memory.tryReserve(prepared.sizeBytes)) return false
    this.appendTo(prepared, partition, sink, index, now)
    return true
  }

  /** Appends records that must wait, one after another, behind any other waiting append. */
  private appendSlowly(
    records: readonly PreparedRecord[],
    sink: DeliverySink,
    firstIndex: number,
  ): Promise<void> {
    this.slowAppends++
    const run = this.slowTail.then(async () => {
      for (let j = 0; j < records.length; j++) {
        if (this.state === 'closed') throw this.closedError()
        const prepared = records[j]!
        if (!this.tryAppend(prepared, sink, firstIndex + j, Date.now()))
          await this.waitAndAppend(prepared, sink, firstIndex + j)
      }
    })
    this.slowTail = run.then(
      () => {
        this.slowAppends--
      },
      () => {
        this.slowAppends--
      },
    )
    return run
  }

  private async waitAndAppend(prepared: PreparedRecord, sink: DeliverySink, index: number): Promise<void> {
    const started = Date.now()
    const maxBlockMs = this.options.maxBlockMs
    const info = await this.withinMaxBlock(this.cluster.topic(prepared.topic), prepared.topic, started)
    let partition = prepared.partition
    if (partition >= info.partitions.length) {
      // Partitions may have been added; cluster.partition refreshes once and names the count if not.
      await this.withinMaxBlock(this.cluster.partition(prepared.topic, partition), prepared.topic, started)
    }
    const current = this.cluster.currentMetadata.topics.get(prepared.topic) ?? info
    if (partition < 0) partition = this.choosePartition(prepared, current)
    const remaining = Math.max(0, maxBlockMs - (Date.now() - started))
    await this.memory.reserve(prepared.sizeBytes, remaining)
    if (this.state === 'closed') {
      this.memory.release(prepared.sizeBytes)
      throw this.closedError()
    }
    this.appendTo(prepared, partition, sink, index, Date.now())
  }

  /** `now` is the caller's clock reading (one per `sendBatch`, not one per record). */
  private appendTo(
    prepared: PreparedRecord,
    partition: number,
    sink: DeliverySink,
    index: number,
    now: number,
  ): void {
    this.transactions?.addPartition(prepared.topic, partition)
    const ready = this.accumulator.append(
      prepared.topic,
      partition,
      prepared,
      prepared.sizeBytes,
      sink,
      index,
      now,
    )
    if (ready !== undefined) this.sender.wake()
    else this.sender.wakeAt(now + this.options.lingerMs)
  }

  private choosePartition(prepared: PreparedRecord, info: TopicInfo): number {
    const count = info.partitions.length
    const custom = this.options.partitioner
    if (custom === undefined) {
      if (prepared.key !== null)
        return this.defaultPartitioner.partition(prepared.topic, prepared.key, count, [])
      return this.defaultPartitioner.partition(prepared.topic, null, count, this.available(info))
    }
    const chosen = custom(prepared.original, count, {
      keyBytes: prepared.key,
      availablePartitions: this.available(info),
    })
    if (typeof chosen !== 'number' || !Number.isInteger(chosen) || chosen < 0 || chosen >= count) {
      throw new ConfigError(
        'producer.partitioner',
        `returned ${String(chosen)} for topic "${prepared.topic}", which has ${count} partitions (0-${count - 1})`,
      )
    }
    return chosen
  }

  /** Partitions of a topic with a leader, computed once per metadata snapshot. */
  private available(info: TopicInfo): number[] {
    let available = this.availablePartitions.get(info)
    if (available === undefined) {
      available = info.partitions.filter((p) => p.leaderId >= 0).map((p) => p.partition)
      this.availablePartitions.set(info, available)
    }
    return available
  }

  private async withinMaxBlock<T>(operation: Promise<T>, topic: string, started: number): Promise<T> {
    const remaining = this.options.maxBlockMs - (Date.now() - started)
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `metadata for topic "${topic}" was not available within maxBlockMs (${this.options.maxBlockMs} ms)`,
              { topic },
            ),
          ),
        Math.max(0, remaining),
      )
    })
    try {
      return await Promise.race([operation, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  private closedError(): ClosedError {
    return new ClosedError(this.state === 'closing' ? 'the producer is closing' : 'the producer is closed')
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** A key, value or header value as bytes: strings as UTF-8, Uint8Arrays viewed without copying. */
function toBytes(field: string, value: unknown): Buffer | null {
  if (value === null || value === undefined) return null
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw new ConfigError(field, `expected a Buffer, a string or null, got ${describeType(value)}`)
}

function encodeHeaders(headers: ProducerRecord['headers']): EncodedHeader[] | null {
  if (headers === undefined || headers === null) return null
  const encoded: EncodedHeader[] = []
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i]
      if (typeof header !== 'object' || header === null || typeof header.key !== 'string') {
        throw new ConfigError(
          `record.headers[${i}]`,
          'expected { key: string, value: Buffer | string | null }',
        )
      }
      encoded.push({
        key: Buffer.from(header.key, 'utf8'),
        value: toBytes(`record.headers[${i}].value`, header.value),
      })
    }
    return encoded
  }
  if (typeof headers !== 'object') {
    throw new ConfigError(
      'record.headers',
      `expected a list of headers or an object, got ${describeType(headers)}`,
    )
  }
  for (const key of Object.keys(headers)) {
    encoded.push({ key: Buffer.from(key, 'utf8'), value: toBytes(`record.headers.${key}`, headers[key]) })
  }
  return encoded
}
