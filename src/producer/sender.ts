/**
 * Moves ready batches from the accumulator to the partition leaders and settles them with the answers.
 *
 * One pass ({@link Sender.run}) groups ready batches by leader into Produce requests (at most one batch per
 * partition per request, at most `maxInFlightRequests` requests in flight per broker, each request within
 * `maxRequestBytes`). Passes are triggered, not polled: a batch becoming ready, a response arriving, a
 * metadata refresh finishing, or the single timer set for the earliest linger, backoff or expiry.
 *
 * Ordering: a partition's batches are sent in creation order and, while some are in flight, only to the
 * broker those went to. A batch that fails with a retriable error goes back to the front of its queue and
 * the partition sends nothing more until everything in flight has come back, so the retry is written
 * before anything newer. With idempotence, a retry keeps its sequence number, which lets the broker drop it
 * if the first attempt was in fact written.
 */

import { backoffDelay } from '../cluster/backoff.ts'
import { type Cluster, isStaleMetadataError } from '../cluster/cluster.ts'
import { ZERO_TOPIC_ID } from '../cluster/metadata.ts'
import { BrokerError, KafkaError, TimeoutError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import { compressionTypeId } from '../protocol/compression/compression-type.ts'
import { codecFor } from '../protocol/compression/registry.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { DescribeConfigs } from '../protocol/messages/describe-configs.ts'
import { InitProducerId } from '../protocol/messages/init-producer-id.ts'
import {
  type PartitionProduceData,
  Produce,
  type ProduceRequest,
  type ProduceResponse,
  type TopicProduceData,
} from '../protocol/messages/produce.ts'
import type { RecordsCompressor } from '../protocol/records/batch-builder.ts'
import { versionCaps } from '../protocol/version-caps.ts'
import type { BufferMemory } from './buffer-memory.ts'
import { RecordTooLargeError } from './errors.ts'
import type { IdempotenceState } from './idempotence.ts'
import type { ProducerBatch } from './producer-batch.ts'
import type { ResolvedProducerOptions } from './producer-options.ts'
import type { PartitionQueue, RecordAccumulator } from './record-accumulator.ts'
import type { TransactionManager } from './transactions/transaction-manager.ts'

/** DescribeConfigs resource type of a topic. */
const topicResourceType = 2

interface ProduceRequestPlan {
  readonly node: number
  readonly batches: ProducerBatch[]
  bytes: number
}

export interface SenderDependencies {
  cluster: Cluster
  options: ResolvedProducerOptions
  accumulator: RecordAccumulator
  memory: BufferMemory
  /** Null for producers without idempotence. */
  idempotence: IdempotenceState | null
  /** Null for producers that are not transactional. */
  transactions?: TransactionManager | null
  logger: Logger
}

export class Sender {
  private readonly cluster: Cluster
  private readonly options: ResolvedProducerOptions
  private readonly accumulator: RecordAccumulator
  private readonly memory: BufferMemory
  private readonly idempotence: IdempotenceState | null
  private readonly transactions: TransactionManager | null
  private readonly logger: Logger
  private readonly compressionCode: number
  private readonly compress: RecordsCompressor | undefined

  private scheduled = false
  private timer: NodeJS.Timeout | undefined
  private timerAt = Number.POSITIVE_INFINITY
  /** Produce requests in flight per node. */
  private readonly requestsInFlight = new Map<number, number>()
  /**
   * Per broker, settles once the latest planned request has been handed to the connection. Requests are
   * built concurrently (compression runs off the event loop and finishes in any order), but they must reach
   * the wire in the order they were planned: two batches of one partition written the other way round are
   * refused as out of sequence, and without idempotence they would land out of order.
   */
  private readonly wireOrder = new Map<number, Promise<void>>()
  private requestsInFlightTotal = 0
  private metadataRefreshing = false
  private producerIdPending = false
  /** No InitProducerId attempt before this time (ms), after a failed one. */
  private producerIdRetryAt = 0
  private producerIdAttempts = 0
  private epochBumpRequired = false
  private stopped = false

  constructor(dependencies: SenderDependencies) {
    this.cluster = dependencies.cluster
    this.options = dependencies.options
    this.accumulator = dependencies.accumulator
    this.memory = dependencies.memory
    this.idempotence = dependencies.idempotence
    this.transactions = dependencies.transactions ?? null
    this.logger = dependencies.logger
    const compression = this.options.compression
    this.compressionCode = compressionTypeId(compression)
    if (compression === 'none') {
      this.compress = undefined
    } else {
      const codec = codecFor(compression)
      this.compress = (records) => codec.compress(records)
    }
  }

  /** Produce requests sent and not yet answered, across brokers. */
  get inFlightRequests(): number {
    return this.requestsInFlightTotal
  }

  /** Runs a pass soon: after the current macrotask, so records appended in a loop share requests. */
  wake(): void {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    setImmediate(this.runScheduled)
  }

  /** Makes sure a pass runs no later than `at` (ms since the epoch). */
  wakeAt(at: number): void {
    if (this.stopped || at >= this.timerAt) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(this.onTimer, Math.max(0, at - Date.now()))
  }

  /** Stops for good: no more passes, and every batch not yet completed fails with `error`. */
  stop(error: KafkaError): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    for (const batch of this.accumulator.incompleteBatchList()) {
      this.accumulator.remove(batch)
      this.finish(batch, error)
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined
    this.timerAt = Number.POSITIVE_INFINITY
    this.run()
  }

  private readonly runScheduled = (): void => {
    this.scheduled = false
    this.run()
  }

  /** One pass: expire, make sure there is a producer id, then send whatever is ready. */
  run(): void {
    if (this.stopped) return
    const now = Date.now()
    let nextAt = this.expire(now)

    const idempotence = this.idempotence
    if (idempotence !== null) {
      if (this.epochBumpRequired) {
        this.epochBumpRequired = false
        idempotence.bumpEpoch()
        this.logger.info('producer epoch bumped to restart sequence numbers', {
          producerId: idempotence.producerId,
          producerEpoch: idempotence.producerEpoch,
        })
      }
      if (!idempotence.hasProducerId) {
        // A transactional producer gets its id from initTransactions(), before it may append anything.
        if (this.accumulator.incompleteBatches > 0 && this.transactions === null) this.obtainProducerId(now)
        this.wakeAt(nextAt)
        return
      }
    }

    const snapshot = this.cluster.currentMetadata
    let leaderMissing = false
    const maxInFlight = this.options.maxInFlightRequests
    // Each round builds at most one request per broker; more rounds pipeline further ready batches.
    for (let round = 0; round < maxInFlight; round++) {
      const plans = new Map<number, ProduceRequestPlan>()
      for (const queue of this.accumulator.queues) {
        const head = queue.batches[0]
        if (head === undefined) continue
        if (queue.awaitingInFlight) {
          if (queue.inFlight > 0) continue
          queue.awaitingInFlight = false
        }
        if (!this.accumulator.isReady(queue, now)) {
          if (round === 0) nextAt = Math.min(nextAt, this.accumulator.readyAt(queue))
          continue
        }
        const leader = snapshot.topics.get(queue.topic)?.partitions[queue.partition]?.leaderId ?? -1
        if (leader < 0) {
          leaderMissing = true
          continue
        }
        if (queue.inFlight > 0 && queue.inFlightNode !== leader) continue
        // Until the broker has acknowledged one batch of ours here it accepts any first sequence: one batch in
        // flight, so a later batch cannot be written ahead of an earlier one that failed.
        if (queue.inFlight > 0 && idempotence !== null && !idempotence.hasAcknowledged(queue.key)) continue
        // The parts of a split batch go out one request at a time: a broker that holds no state for this
        // producer yet accepts any first sequence, so a small later part pipelined behind a part that is
        // still too large would be written ahead of it.
        if (queue.inFlight > 0 && head.splitPath.length > 0) continue
        let plan = plans.get(leader)
        if (plan === undefined) {
          if ((this.requestsInFlight.get(leader) ?? 0) >= maxInFlight) continue
          plan = { node: leader, batches: [], bytes: 0 }
          plans.set(leader, plan)
        }
        if (plan.batches.length > 0 && plan.bytes + head.sizeBytes > this.options.maxRequestBytes) continue
        if (this.transactions !== null && !this.admitToTransaction(queue)) continue
        if (idempotence !== null && !idempotence.prepare(queue, head)) continue
        const batch = this.accumulator.take(queue)
        batch.attempts++
        batch.inFlightTo = leader
        queue.inFlight++
        queue.inFlightNode = leader
        plan.batches.push(batch)
        plan.bytes += batch.sizeBytes
      }
      let sent = false
      for (const plan of plans.values()) {
        if (plan.batches.length === 0) continue
        sent = true
        this.requestsInFlight.set(plan.node, (this.requestsInFlight.get(plan.node) ?? 0) + 1)
        this.requestsInFlightTotal++
        void this.sendRequest(plan)
      }
      if (!sent) break
    }

    if (leaderMissing || snapshot.ageMs() > this.cluster.options.metadataMaxAgeMs) {
      this.refreshMetadata()
    }
    if (nextAt !== Number.POSITIVE_INFINITY) this.wakeAt(nextAt)
  }

  /**
   * Transaction version 1: a partition is written only after the coordinator added it to the transaction.
   * Returns false while it waits; fails the partition's queued batches if the transaction failed first.
   */
  private admitToTransaction(queue: PartitionQueue): boolean {
    const verdict = this.transactions!.admit(queue.topic, queue.partition)
    if (verdict === true) return true
    if (verdict !== false) {
      for (const batch of queue.batches.splice(0)) this.finish(batch, verdict)
    }
    return false
  }

  /**
   * Fails every batch not yet handed to a broker with `error` (an aborted transaction drops what it has not
   * sent); batches in flight complete as the broker answers.
   */
  failUnsent(error: KafkaError): void {
    for (const batch of this.accumulator.incompleteBatchList()) {
      if (batch.inFlightTo >= 0) continue
      this.accumulator.remove(batch)
      this.finish(batch, error)
    }
  }

  /** Fails queued batches older than `deliveryTimeoutMs`; returns when the next one would expire. */
  private expire(now: number): number {
    const timeoutMs = this.options.deliveryTimeoutMs
    let nextAt = Number.POSITIVE_INFINITY
    for (const queue of this.accumulator.queues) {
      let head = queue.batches[0]
      while (head !== undefined && now - head.createdAt >= timeoutMs) {
        queue.batches.shift()
        this.fail(head, this.expiredError(head, now, head.lastError))
        head = queue.batches[0]
      }
      if (head !== undefined) nextAt = Math.min(nextAt, head.createdAt + timeoutMs)
    }
    return nextAt
  }

  private expiredError(batch: ProducerBatch, now: number, cause: KafkaError | undefined): TimeoutError {
    const reason = cause === undefined ? '' : `; last error: ${cause.message}`
    return new TimeoutError(
      `${batch.recordCount} record(s) for topic "${batch.topic}" partition ${batch.partition} expired after ` +
        `${now - batch.createdAt} ms without being acknowledged (deliveryTimeoutMs ${this.options.deliveryTimeoutMs}, ` +
        `${batch.attempts} attempt(s))${reason}`,
      { topic: batch.topic, partition: batch.partition, retriable: true, cause },
    )
  }

  private async sendRequest(plan: ProduceRequestPlan): Promise<void> {
    const { batches, node } = plan
    const previousWritten = this.wireOrder.get(node) ?? Promise.resolve()
    const written = Promise.withResolvers<void>()
    this.wireOrder.set(node, written.promise)
    try {
      const request = await this.buildRequest(batches)
      const connection = await this.cluster.connectionTo(node)
      const maxVersion = this.transactions?.maxProduceVersion ?? versionCaps.produce
      await previousWritten
      if (this.options.acks === 0) {
        const sending = connection.request(Produce, request, { maxVersion, expectResponse: false })
        written.resolve()
        await sending
        for (const batch of batches) this.succeed(batch, -1n, -1)
      } else {
        const answer = connection.request(Produce, request, {
          maxVersion,
          timeoutMs: this.options.requestTimeoutMs,
        })
        written.resolve()
        this.handleResponse(batches, await answer, connection.address)
      }
    } catch (error) {
      const failure = asKafkaError(error)
      for (const batch of batches) {
        if (batch.inFlightTo === node) this.retryOrFail(batch, failure, -1)
      }
    } finally {
      // A request that failed before reaching the connection must not hold back the ones planned after it.
      written.resolve()
      if (this.wireOrder.get(node) === written.promise) this.wireOrder.delete(node)
      this.requestsInFlight.set(node, (this.requestsInFlight.get(node) ?? 1) - 1)
      this.requestsInFlightTotal--
      this.wake()
    }
  }

  private async buildRequest(batches: ProducerBatch[]): Promise<ProduceRequest> {
    const idempotence = this.idempotence
    const transactional = this.transactions !== null
    const topics = new Map<string, TopicProduceData>()
    for (const batch of batches) {
      const builder = batch.builder
      if (!builder.isSealed) {
        const sealing = builder.seal(this.compressionCode, this.compress)
        if (sealing !== undefined) await sealing
      }
      const records = builder.stamp({
        producerId: idempotence === null ? -1n : idempotence.producerId,
        producerEpoch: idempotence === null ? -1 : batch.producerEpoch,
        baseSequence: batch.baseSequence,
        transactional,
      })
      let topic = topics.get(batch.topic)
      if (topic === undefined) {
        topic = { name: batch.topic, topicId: ZERO_TOPIC_ID, partitionData: [] }
        topics.set(batch.topic, topic)
      }
      const partitionData: PartitionProduceData = { index: batch.partition, records }
      topic.partitionData.push(partitionData)
    }
    return {
      transactionalId: this.transactions?.transactionalId ?? null,
      acks: this.options.acks,
      timeoutMs: this.options.requestTimeoutMs,
      topicData: [...topics.values()],
    }
  }

  private handleResponse(batches: ProducerBatch[], response: ProduceResponse, broker: string): void {
    // One batch per partition per request: index them by topic, then partition, to match the answers.
    const byTopic = new Map<string, ProducerBatch[]>()
    for (const batch of batches) {
      let partitions = byTopic.get(batch.topic)
      if (partitions === undefined) {
        partitions = []
        byTopic.set(batch.topic, partitions)
      }
      partitions[batch.partition] = batch
    }
    const answered = new Set<ProducerBatch>()
    for (const topicResponse of response.responses) {
      const partitions = byTopic.get(topicResponse.name)
      if (partitions === undefined) continue
      for (const partitionResponse of topicResponse.partitionResponses) {
        const batch = partitions[partitionResponse.index]
        if (batch === undefined || answered.has(batch)) continue
        answered.add(batch)
        const code = partitionResponse.errorCode
        if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
          // A duplicate was written by an earlier attempt; the broker answers it without the offset.
          const offset = code === ErrorCode.NONE ? partitionResponse.baseOffset : -1n
          this.succeed(batch, offset, Number(partitionResponse.logAppendTimeMs))
          continue
        }
        if (code === ErrorCode.MESSAGE_TOO_LARGE || code === ErrorCode.RECORD_LIST_TOO_LARGE) {
          if (batch.recordCount > 1) this.split(batch, partitionResponse.errorMessage)
          else this.failTooLarge(batch, code, partitionResponse.errorMessage, broker)
          continue
        }
        this.retryOrFail(
          batch,
          this.partitionError(batch, code, partitionResponse.errorMessage, broker),
          code,
        )
      }
    }
    for (const batch of batches) {
      if (answered.has(batch)) continue
      this.retryOrFail(
        batch,
        new BrokerError(
          `broker ${broker} answered a Produce request without topic "${batch.topic}" partition ${batch.partition}`,
          -1,
          'UNKNOWN_SERVER_ERROR',
          { topic: batch.topic, partition: batch.partition, broker, retriable: true },
        ),
        -1,
      )
    }
  }

  /**
   * Splits a batch the broker refused as too large and queues the parts in its place. Each split at least
   * halves the batch (or cuts it down to `batchBytes` if that is smaller), so a batch of records that each
   * fit the topic's limit gets through after a few rounds, and one record too large on its own ends up
   * alone and fails with RecordTooLargeError. Splitting is not a retry: attempts restart with the parts.
   */
  private split(batch: ProducerBatch, errorMessage: string | null): void {
    const queue = this.accumulator.queue(batch.topic, batch.partition)
    this.leaveFlight(queue, batch)
    const targetBytes = Math.min(this.options.batchBytes, Math.ceil(batch.sizeBytes / 2))
    const parts = batch.split(targetBytes)
    this.accumulator.requeueSplit(batch, parts)
    this.logger.debug('splitting a batch the broker refused as too large', {
      topic: batch.topic,
      partition: batch.partition,
      records: batch.recordCount,
      sizeBytes: batch.sizeBytes,
      baseSequence: batch.baseSequence,
      parts: parts.length,
      errorMessage,
    })
  }

  /**
   * Fails a one-record batch the broker refused as too large. The answer does not carry the limit, so the
   * topic's `max.message.bytes` is looked up first (best effort) for the error to name it.
   */
  private failTooLarge(batch: ProducerBatch, code: number, message: string | null, broker: string): void {
    this.leaveFlight(this.accumulator.queue(batch.topic, batch.partition), batch)
    // The record fails below, after the topic's limit is looked up; its sequence numbers are lost now, so the
    // epoch bump that lets the partition's later batches through must not wait for that lookup.
    this.requestEpochBumpFor(batch)
    void this.topicMaxMessageBytes(batch.topic).then((limit) => {
      const detail = message ? ` (${message})` : ''
      const limitText =
        limit < 0 ? "the topic's max.message.bytes" : `the topic's max.message.bytes (${limit})`
      this.fail(
        batch,
        new RecordTooLargeError(
          `broker ${broker} rejected a record of ${batch.sizeBytes} bytes (as a batch of its own) for topic ` +
            `"${batch.topic}" partition ${batch.partition} as too large: it is larger than ${limitText}${detail}; raise ` +
            'the limit or send a smaller record',
          {
            topic: batch.topic,
            partition: batch.partition,
            sizeBytes: batch.sizeBytes,
            maxBytes: limit,
            code,
          },
        ),
      )
      this.wake()
    })
  }

  /** The topic's `max.message.bytes` as a broker reports it, or -1 if it cannot be found out. */
  private async topicMaxMessageBytes(topic: string): Promise<number> {
    try {
      const connection = await this.cluster.anyConnection()
      const response = await connection.request(
        DescribeConfigs,
        {
          resources: [
            {
              resourceType: topicResourceType,
              resourceName: topic,
              configurationKeys: ['max.message.bytes'],
            },
          ],
          includeSynonyms: false,
          includeDocumentation: false,
        },
        { timeoutMs: this.options.requestTimeoutMs },
      )
      const value = response.results[0]?.configs.find((config) => config.name === 'max.message.bytes')?.value
      const limit = Number(value)
      return value != null && Number.isInteger(limit) ? limit : -1
    } catch {
      return -1
    }
  }

  private partitionError(
    batch: ProducerBatch,
    code: number,
    message: string | null,
    broker: string,
  ): KafkaError {
    if (code === ErrorCode.MESSAGE_TOO_LARGE || code === ErrorCode.RECORD_LIST_TOO_LARGE) {
      const detail = message ? ` (${message})` : ''
      return new RecordTooLargeError(
        `broker ${broker} rejected a batch of ${batch.recordCount} record(s), ${batch.sizeBytes} bytes, for topic ` +
          `"${batch.topic}" partition ${batch.partition} as too large${detail}; raise the topic's max.message.bytes ` +
          'or send smaller records',
        { topic: batch.topic, partition: batch.partition, sizeBytes: batch.sizeBytes, maxBytes: -1, code },
      )
    }
    const error = errorForCode(code, {
      topic: batch.topic,
      partition: batch.partition,
      broker,
      errorMessage: message,
    })!
    return this.transactions === null ? error : this.transactions.produceError(error)
  }

  /** Decides, for a failed attempt, between sending the batch again and failing its records. */
  private retryOrFail(batch: ProducerBatch, error: KafkaError, code: number): void {
    const queue = this.accumulator.queue(batch.topic, batch.partition)
    this.leaveFlight(queue, batch)
    const now = Date.now()
    const idempotence = this.idempotence
    let retry = error.retriable
    if (
      idempotence !== null &&
      this.transactions === null &&
      batch.producerEpoch !== idempotence.producerEpoch &&
      (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID)
    ) {
      // Numbered under an epoch the producer has since left behind (an earlier batch failed for good): the
      // broker's refusal is expected, and the batch is renumbered under the new epoch when it goes out again.
      retry = true
    } else if (idempotence !== null && batch.producerEpoch === idempotence.producerEpoch) {
      if (this.transactions !== null && code === ErrorCode.UNKNOWN_PRODUCER_ID) {
        // A transactional producer cannot restart its sequences on its own: the transaction must abort.
        retry = false
      } else if (code === ErrorCode.UNKNOWN_PRODUCER_ID) {
        // The broker has no state for this producer here (e.g. it expired with the log's retention), so this
        // batch cannot have been written: renumber from 0 under a new epoch and send it again.
        if (idempotence.isNextToAcknowledge(batch, queue.key)) this.epochBumpRequired = true
        retry = true
      } else if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
        // Behind an earlier failed batch this is expected and resolves once that one is resent. For the oldest
        // unacknowledged batch the broker disagrees with our numbering: fail it and start over. A batch whose
        // sequences the broker has already passed can never be accepted under this epoch: renumber it under a
        // new one.
        if (idempotence.isNextToAcknowledge(batch, queue.key)) retry = false
        else if (idempotence.isBehindAcknowledged(batch, queue.key)) {
          this.epochBumpRequired = true
          retry = true
        } else retry = true
      }
    }
    if (retry && now - batch.createdAt >= this.options.deliveryTimeoutMs) {
      this.fail(batch, this.expiredError(batch, now, error))
      return
    }
    if (!retry || this.stopped) {
      this.fail(batch, error)
      return
    }
    batch.lastError = error
    batch.retryAt =
      now + backoffDelay(batch.attempts - 1, this.options.retryBackoffMs, this.options.retryBackoffMaxMs)
    this.accumulator.requeue(batch)
    this.logger.debug('retrying produce', {
      topic: batch.topic,
      partition: batch.partition,
      attempt: batch.attempts,
      baseSequence: batch.baseSequence,
      error,
    })
    if (isStaleMetadataError(error)) this.refreshMetadata()
  }

  private succeed(batch: ProducerBatch, baseOffset: bigint, logAppendTime: number): void {
    const queue = this.accumulator.queue(batch.topic, batch.partition)
    this.leaveFlight(queue, batch)
    this.idempotence?.acknowledged(batch, queue.key)
    if (batch.isCompleted) return
    batch.succeed(baseOffset, logAppendTime)
    this.memory.release(this.accumulator.completed(batch))
  }

  /** Fails a batch that is no longer queued or in flight. */
  private fail(batch: ProducerBatch, error: KafkaError): void {
    if (this.transactions !== null) {
      // No client-side epoch bump inside a transaction: the failure dooms the transaction, and its abort
      // (with a new epoch) restarts the sequences.
      this.transactions.batchFailed(error, batch.baseSequence >= 0)
      this.finish(batch, error)
      return
    }
    this.requestEpochBumpFor(batch)
    this.finish(batch, error)
  }

  /**
   * `batch` will never be written, and its sequence numbers are used up: the partition's later batches can
   * only be accepted after renumbering under a new epoch. Only for the idempotent, non-transactional case.
   */
  private requestEpochBumpFor(batch: ProducerBatch): void {
    const idempotence = this.idempotence
    if (
      this.transactions === null &&
      idempotence !== null &&
      batch.baseSequence >= 0 &&
      batch.producerEpoch === idempotence.producerEpoch
    ) {
      this.epochBumpRequired = true
    }
  }

  private finish(batch: ProducerBatch, error: KafkaError): void {
    if (batch.isCompleted) return
    batch.fail(error)
    this.memory.release(this.accumulator.completed(batch))
  }

  private leaveFlight(queue: PartitionQueue, batch: ProducerBatch): void {
    if (batch.inFlightTo < 0) return
    batch.inFlightTo = -1
    queue.inFlight--
    if (queue.inFlight === 0) queue.inFlightNode = -1
  }

  private refreshMetadata(): void {
    if (this.metadataRefreshing) return
    this.metadataRefreshing = true
    this.cluster
      .refreshMetadata()
      .catch((error: unknown) => {
        this.logger.warn('metadata refresh failed; will retry', { error })
      })
      .finally(() => {
        // Spaced out so a partition without a leader does not turn into a refresh loop.
        setTimeout(() => {
          this.metadataRefreshing = false
          this.wake()
        }, this.options.retryBackoffMs).unref()
      })
  }

  private obtainProducerId(now: number): void {
    const idempotence = this.idempotence!
    if (this.producerIdPending) return
    if (now < this.producerIdRetryAt) {
      this.wakeAt(this.producerIdRetryAt)
      return
    }
    this.producerIdPending = true
    this.cluster
      .anyConnection()
      .then((connection) =>
        idempotence.initialize((request) =>
          connection.request(InitProducerId, request, { timeoutMs: this.options.requestTimeoutMs }),
        ),
      )
      .then(
        () => {
          this.producerIdAttempts = 0
          this.logger.debug('producer id assigned', {
            producerId: idempotence.producerId,
            producerEpoch: idempotence.producerEpoch,
          })
        },
        (error: unknown) => {
          const failure = asKafkaError(error)
          this.producerIdRetryAt =
            Date.now() +
            backoffDelay(
              this.producerIdAttempts++,
              this.options.retryBackoffMs,
              this.options.retryBackoffMaxMs,
            )
          if (!failure.retriable) {
            // Nothing can be sent without a producer id; fail what is waiting rather than letting it expire.
            for (const batch of this.accumulator.incompleteBatchList()) {
              if (batch.inFlightTo >= 0) continue
              this.accumulator.remove(batch)
              this.finish(batch, failure)
            }
          }
          this.logger.warn('could not obtain a producer id', { error: failure })
        },
      )
      .finally(() => {
        this.producerIdPending = false
        this.wake()
      })
  }
}

function asKafkaError(error: unknown): KafkaError {
  if (error instanceof KafkaError) return error
  return new KafkaError(error instanceof Error ? error.message : String(error), -1, { cause: error })
}
