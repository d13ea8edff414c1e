/**
 * The transactional producer's side of the transaction protocol: the state machine, and every request to
 * the transaction and group coordinators (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn). Produce requests stay with the sender, which asks this class whether a
 * partition may be written yet and reports batches that failed.
 *
 * A transaction is all-or-nothing for its records and its consumer offsets. The broker guarantees it as
 * long as the producer keeps one rule: once anything in the transaction failed, it must not commit. So a
 * failed batch or offset commit moves the producer to `abortable-error`, where only an abort is accepted;
 * an error that says another instance owns the transactional id moves it to `fatal-error` for good.
 */

import type { Cluster } from '../../cluster/cluster.ts'
import {
  CommitFailedError,
  ConfigError,
  ConnectionError,
  KafkaError,
  TimeoutError,
  type TransactionOutcomeUnknownError,
} from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { topicPartitionKey } from '../../common/types.ts'
import { validateOffset, validatePartition, validateTopicName } from '../../common/validate.ts'
import type { Connection } from '../../network/connection.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { AddOffsetsToTxn } from '../../protocol/messages/add-offsets-to-txn.ts'
import { AddPartitionsToTxn } from '../../protocol/messages/add-partitions-to-txn.ts'
import { EndTxn } from '../../protocol/messages/end-txn.ts'
import { InitProducerId } from '../../protocol/messages/init-producer-id.ts'
import {
  TxnOffsetCommit,
  type TxnOffsetCommitRequestTopic,
} from '../../protocol/messages/txn-offset-commit.ts'
import { commitTopics } from '../../protocol/offsets-by-topic.ts'
import type { IdempotenceState } from '../idempotence.ts'
import {
  abortableError,
  failureKind,
  fencedError,
  illegalState,
  isStaleMemberCode,
  outcomeUnknownError,
  transactionErrorForCode,
} from './transaction-errors.ts'
import { canTransition, stateProblem, type TransactionState } from './transaction-state.ts'
import { detectTransactionVersion, transactionV1MaxVersions } from './transaction-version.ts'
import type { TransactionGroupMetadata, TransactionOffsets, TransactionVersion } from './types.ts'

export interface TransactionManagerDependencies {
  cluster: Cluster
  transactionalId: string
  transactionTimeoutMs: number
  /** Upper bound on how long one coordinator operation keeps retrying (the producer's `maxBlockMs`). */
  maxBlockMs: number
  requestTimeoutMs: number
  idempotence: IdempotenceState
  logger: Logger
  /** Sends every buffered record and resolves once all have succeeded or failed. */
  flush: () => Promise<void>
  /** Fails every batch not yet sent with `error` (an abort does not send what it is about to discard). */
  failUnsent: (error: KafkaError) => void
  /** Lets the sender look at partitions again (one was added to the transaction). */
  wakeSender: () => void
  /** Forces a protocol version instead of asking the coordinator; for tests of the version-1 path. */
  transactionVersion?: TransactionVersion
}

/** A partition-registration outcome the sender acts on: send, keep waiting, or fail the batch. */
export type PartitionAdmission = true | false | KafkaError

export class TransactionManager {
  readonly transactionalId: string
  private readonly cluster: Cluster
  private readonly idempotence: IdempotenceState
  private readonly logger: Logger
  private readonly dependencies: TransactionManagerDependencies
  private currentState: TransactionState = 'uninitialized'
  private version: TransactionVersion = 2
  /** The error that moved the producer to `abortable-error` or `fatal-error`. */
  private lastError: KafkaError | null = null
  /** The public operation running now, so overlapping calls are refused rather than interleaved. */
  private operation: string | null = null
  /** True once the coordinator may know about the open transaction: something was sent or committed in it. */
  private transactionStarted = false
  /** Version 1: partitions the coordinator confirmed as part of the open transaction. */
  private readonly addedPartitions = new Set<string>()
  /** Version 1: partitions written to but not yet sent in an AddPartitionsToTxn. */
  private readonly newPartitions = new Map<string, { topic: string; partition: number }>()
  private addingPartitions: Promise<void> | null = null
  /** Version 1: a batch with a sequence number failed, so the epoch must be bumped before the next transaction. */
  private epochBumpRequired = false
  /**
   * Something in the open transaction ended with an unknown outcome (an EndTxn or a record timed out after
   * it may have been delivered). The abort then re-initialises instead of sending EndTxn: a new epoch makes
   * the coordinator complete or abort what it has, and nothing of this transaction is ever retried.
   */
  private reinitRequired = false

  constructor(dependencies: TransactionManagerDependencies) {
    this.dependencies = dependencies
    this.transactionalId = dependencies.transactionalId
    this.cluster = dependencies.cluster
    this.idempotence = dependencies.idempotence
    this.logger = dependencies.logger
  }

  get state(): TransactionState {
    return this.currentState
  }

  /** The protocol generation in use; known after `initTransactions()`. */
  get transactionVersion(): TransactionVersion {
    return this.version
  }

  /** Highest Produce version the sender may use: version 1 is signalled by staying at v11 or below. */
  get maxProduceVersion(): number | undefined {
    return this.version === 1 ? transactionV1MaxVersions.produce : undefined
  }

  // -- public operations ---------------------------------------------------------------------------------

  /**
   * Registers the transactional id with its coordinator and obtains the producer id and epoch. This fences
   * any earlier producer with the same id and completes (aborts, if still open) its transaction.
   */
  async initTransactions(): Promise<void> {
    this.require('initTransactions')
    await this.exclusively('initTransactions', async () => {
      this.transitionTo('initializing')
      try {
        const connection = await this.cluster.coordinatorConnection('transaction', this.transactionalId)
        this.version = this.dependencies.transactionVersion ?? (await detectTransactionVersion(connection))
        await this.initProducerId(-1n, -1)
        this.transitionTo('ready')
        this.logger.info('transactional producer initialized', {
          transactionalId: this.transactionalId,
          producerId: this.idempotence.producerId,
          producerEpoch: this.idempotence.producerEpoch,
          transactionVersion: this.version,
        })
      } catch (error) {
        if (this.currentState === 'initializing') {
          if (failureKind(error) === 'abortable') this.transitionTo('uninitialized')
          else this.fail(error)
        }
        throw this.surface(error)
      }
    })
  }

  /** Opens a transaction. Local only: the coordinator hears of it with the first record or offsets. */
  beginTransaction(): void {
    this.require('beginTransaction')
    if (this.operation !== null) throw this.busy('beginTransaction')
    this.transactionStarted = false
    this.addedPartitions.clear()
    this.newPartitions.clear()
    this.transitionTo('in-transaction')
  }

  /** Throws unless records may be sent now: {@link IllegalStateError}, or the error that ended the transaction. */
  ensureCanSend(): void {
    this.require('send')
  }

  /**
   * Called as a record is appended for `topic`/`partition`. Version 2 needs nothing more than the flag; version
   * 1 registers the partition with the coordinator before the sender may write to it.
   */
  addPartition(topic: string, partition: number): void {
    this.transactionStarted = this.transactionStarted || this.version === 2
    if (this.version === 2) return
    const key = topicPartitionKey(topic, partition)
    if (this.addedPartitions.has(key) || this.newPartitions.has(key)) return
    this.newPartitions.set(key, { topic, partition })
    this.addPendingPartitions()
  }

  /**
   * Whether the sender may write a batch for `topic`/`partition` now. Version 2: always (the broker adds the
   * partition itself). Version 1: once AddPartitionsToTxn confirmed it; a partition the failed transaction
   * never got to add fails instead of waiting forever.
   */
  admit(topic: string, partition: number): PartitionAdmission {
    if (this.version === 2) return true
    if (this.addedPartitions.has(topicPartitionKey(topic, partition))) return true
    if (this.currentState === 'abortable-error' || this.currentState === 'fatal-error') {
      return this.lastError ?? abortableError(this.transactionalId, 'the transaction failed')
    }
    return false
  }

  /** A batch of the open transaction failed for good: the transaction cannot commit any more. */
  batchFailed(error: KafkaError, hadSequence: boolean): void {
    if (hadSequence) this.epochBumpRequired = true
    const kind = failureKind(error)
    if (kind === 'abortable') {
      if (this.currentState === 'in-transaction' || this.currentState === 'committing') {
        this.lastError = isIndefinite(error)
          ? this.outcomeUnknown('a record', error)
          : abortableError(this.transactionalId, error)
        this.transitionTo('abortable-error')
      }
    } else {
      this.fail(error)
    }
  }

  /** Turns a Produce error into what a transactional producer reports: fencing becomes ProducerFencedError. */
  produceError(error: KafkaError): KafkaError {
    return failureKind(error) === 'fenced' ? fencedError(this.transactionalId, error) : error
  }

  /**
   * Adds consumer offsets to the open transaction: they become the group's committed offsets if and only if
   * the transaction commits. `offsets` are the next offsets to read (last processed + 1).
   */
  async sendOffsetsToTransaction(
    offsets: TransactionOffsets,
    group: TransactionGroupMetadata,
  ): Promise<void> {
    const topics = validateOffsets(offsets)
    validateGroup(group)
    this.require('sendOffsetsToTransaction')
    await this.exclusively('sendOffsetsToTransaction', async () => {
      try {
        if (this.version === 1) await this.addOffsetsToTxn(group.groupId)
        this.transactionStarted = true
        await this.txnOffsetCommit(topics, group)
      } catch (error) {
        this.failTransaction(error)
        throw this.surface(error)
      }
    })
  }

  /**
   * Commits the open transaction: sends every buffered record, then asks the coordinator to commit. Throws
   * {@link TransactionAbortableError} (or the offset commit's {@link CommitFailedError}) if anything in the
   * transaction failed; abort then. An EndTxn that timed out or lost its connection rejects with
   * {@link TransactionOutcomeUnknownError} and is never retried (a retry could commit twice or tear the
   * transaction): abort, which re-initialises the producer, and continue from the last committed offsets.
   */
  async commitTransaction(): Promise<void> {
    this.require('commitTransaction')
    await this.exclusively('commitTransaction', async () => {
      this.transitionTo('committing')
      await this.dependencies.flush()
      // Flushing settles every batch; any that failed has moved the producer to abortable-error.
      this.require('commitTransaction')
      try {
        await this.endTransaction(true)
        this.transitionTo('ready')
      } catch (error) {
        if (isIndefinite(error) && failureKind(error) === 'abortable') {
          this.lastError = this.outcomeUnknown('EndTxn (commit)', error)
          this.transitionTo('abortable-error')
          throw this.lastError
        }
        this.failTransaction(error)
        throw this.surface(error)
      }
    })
  }

  /**
   * Aborts the open transaction: records not yet sent are dropped (their sends reject), records already
   * written are never exposed to `read_committed` consumers, and the offsets are not committed.
   */
  async abortTransaction(): Promise<void> {
    this.require('abortTransaction')
    await this.exclusively('abortTransaction', async () => {
      const reason = this.lastError
      this.transitionTo('aborting')
      this.newPartitions.clear()
      this.dependencies.failUnsent(
        abortableError(
          this.transactionalId,
          reason ?? 'the transaction was aborted before this record was sent',
        ),
      )
      await this.dependencies.flush()
      try {
        if (this.reinitRequired) {
          // Like a restarted instance: InitProducerId without the current id bumps the epoch, fencing this
          // producer's own earlier requests, and makes the coordinator finish whatever it had open.
          await this.initProducerId(-1n, -1)
          this.transactionStarted = false
          this.reinitRequired = false
        } else await this.endTransaction(false)
        if (this.version === 1 && this.epochBumpRequired) {
          // A failed batch used up sequence numbers the broker never saw; a new epoch restarts them (KIP-360).
          await this.initProducerId(this.idempotence.producerId, this.idempotence.producerEpoch)
        }
        this.lastError = null
        this.transitionTo('ready')
      } catch (error) {
        // Nothing more can go wrong with a transaction being aborted: anything but fencing is retried by the
        // caller calling abortTransaction() again.
        if (failureKind(error) !== 'abortable') this.fail(error)
        throw this.surface(error)
      }
    })
  }

  // -- requests ------------------------------------------------------------------------------------------

  private async initProducerId(producerId: bigint, producerEpoch: number): Promise<void> {
    const response = await this.withTransactionCoordinator((connection) =>
      connection
        .request(
          InitProducerId,
          {
            transactionalId: this.transactionalId,
            transactionTimeoutMs: this.dependencies.transactionTimeoutMs,
            producerId,
            producerEpoch,
            enable2Pc: false,
            keepPreparedTxn: false,
          },
          // v3+ takes the current id and epoch, needed to bump the epoch after a failed batch (KIP-360).
          { timeoutMs: this.dependencies.requestTimeoutMs },
        )
        .then((answer) => this.check(answer.errorCode, connection, answer)),
    )
    this.idempotence.assign(response.producerId, response.producerEpoch)
    this.epochBumpRequired = false
  }

  private addPendingPartitions(): void {
    if (this.addingPartitions !== null || this.newPartitions.size === 0) return
    const batch = [...this.newPartitions.values()]
    this.addingPartitions = this.addPartitionsToTxn(batch)
      .then(
        () => {
          for (const { topic, partition } of batch) {
            const key = topicPartitionKey(topic, partition)
            this.newPartitions.delete(key)
            this.addedPartitions.add(key)
          }
          this.transactionStarted = true
        },
        (error: unknown) => {
          for (const { topic, partition } of batch)
            this.newPartitions.delete(topicPartitionKey(topic, partition))
          this.failTransaction(error)
        },
      )
      .finally(() => {
        this.addingPartitions = null
        this.dependencies.wakeSender()
        this.addPendingPartitions()
      })
  }

  private async addPartitionsToTxn(
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<void> {
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of partitions) {
      const list = byTopic.get(topic)
      if (list === undefined) byTopic.set(topic, [partition])
      else list.push(partition)
    }
    await this.withTransactionCoordinator(async (connection) => {
      const response = await connection.request(
        AddPartitionsToTxn,
        {
          transactions: [],
          v3AndBelowTransactionalId: this.transactionalId,
          v3AndBelowProducerId: this.idempotence.producerId,
          v3AndBelowProducerEpoch: this.idempotence.producerEpoch,
          v3AndBelowTopics: [...byTopic].map(([name, list]) => ({ name, partitions: list })),
        },
        // v4+ is the brokers' batched form, used between brokers only.
        {
          maxVersion: transactionV1MaxVersions.addPartitionsToTxn,
          timeoutMs: this.dependencies.requestTimeoutMs,
        },
      )
      // When one partition fails the others are answered OPERATION_NOT_ATTEMPTED (55); report the real cause.
      let failure: KafkaError | null = null
      for (const topic of response.resultsByTopicV3AndBelow) {
        for (const result of topic.resultsByPartition) {
          const code = result.partitionErrorCode
          if (code === ErrorCode.NONE || code === ErrorCode.OPERATION_NOT_ATTEMPTED) continue
          const error = transactionErrorForCode(code, this.transactionalId, {
            broker: connection.address,
            topic: topic.name,
            partition: result.partitionIndex,
          })
          if (failure === null || (failure.retriable && !error!.retriable)) failure = error
        }
      }
      if (failure !== null) throw failure
    })
  }

  private async addOffsetsToTxn(groupId: string): Promise<void> {
    await this.withTransactionCoordinator((connection) =>
      connection
        .request(
          AddOffsetsToTxn,
          {
            transactionalId: this.transactionalId,
            producerId: this.idempotence.producerId,
            producerEpoch: this.idempotence.producerEpoch,
            groupId,
          },
          { timeoutMs: this.dependencies.requestTimeoutMs },
        )
        .then((answer) => this.check(answer.errorCode, connection, answer)),
    )
  }

  private async txnOffsetCommit(
    topics: TxnOffsetCommitRequestTopic[],
    group: TransactionGroupMetadata,
  ): Promise<void> {
    await this.cluster.withCoordinator(
      'group',
      group.groupId,
      async (connection) => {
        const response = await connection.request(
          TxnOffsetCommit,
          {
            transactionalId: this.transactionalId,
            groupId: group.groupId,
            producerId: this.idempotence.producerId,
            producerEpoch: this.idempotence.producerEpoch,
            generationId: group.generationId,
            memberId: group.memberId,
            groupInstanceId: group.groupInstanceId,
            topics,
          },
          {
            // v3+ carries the member's generation, without which a zombie consumer could commit (KIP-447).
            ...(this.version === 1 ? { maxVersion: transactionV1MaxVersions.txnOffsetCommit } : {}),
            timeoutMs: this.dependencies.requestTimeoutMs,
          },
        )
        const stale: { topic: string; partition: number }[] = []
        let failure: KafkaError | null = null
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            const code = partition.errorCode
            if (code === ErrorCode.NONE) continue
            if (isStaleMemberCode(code)) {
              stale.push({ topic: topic.name, partition: partition.partitionIndex })
              continue
            }
            const error = transactionErrorForCode(code, this.transactionalId, {
              broker: connection.address,
              topic: topic.name,
              partition: partition.partitionIndex,
            })!
            if (failure === null || (failure.retriable && !error.retriable)) failure = error
          }
        }
        if (failure !== null && !failure.retriable) throw failure
        if (stale.length > 0) {
          throw new CommitFailedError(
            `group "${group.groupId}" rejected the transaction's offsets: member "${group.memberId}" (generation ` +
              `${group.generationId}) is no longer the owner of these partitions. Abort the transaction; the ` +
              'partitions are being processed by the group member that owns them now.',
            stale,
          )
        }
        if (failure !== null) throw failure
      },
      this.retryPolicy(),
    )
  }

  private async endTransaction(commit: boolean): Promise<void> {
    if (!this.transactionStarted) {
      // The coordinator never heard of this transaction: there is nothing to end.
      return
    }
    if (this.addingPartitions !== null) await this.addingPartitions
    // A commit is retried only after a definite rejection (coordinator moved, loading, busy); after a timeout
    // or broken connection it may have landed, and the caller learns that the outcome is unknown instead.
    const policy = this.retryPolicy()
    const retryPolicy = commit
      ? { ...policy, isRetriable: (error: unknown) => !isIndefinite(error) && policy.isRetriable(error) }
      : policy
    const response = await this.withTransactionCoordinator(
      (connection) =>
        connection
          .request(
            EndTxn,
            {
              transactionalId: this.transactionalId,
              producerId: this.idempotence.producerId,
              producerEpoch: this.idempotence.producerEpoch,
              committed: commit,
            },
            {
              ...(this.version === 1 ? { maxVersion: transactionV1MaxVersions.endTxn } : {}),
              timeoutMs: this.dependencies.requestTimeoutMs,
            },
          )
          .then((answer) => this.check(answer.errorCode, connection, answer)),
      retryPolicy,
    )
    // EndTxn v5+ (version 2) hands out the next epoch, or a new producer id once the epoch is exhausted.
    if (response.producerId >= 0n) this.idempotence.assign(response.producerId, response.producerEpoch)
    this.transactionStarted = false
  }

  /**
   * Runs a request against the transaction coordinator, retrying retriable errors (coordinator moved or
   * loading, CONCURRENT_TRANSACTIONS while the previous transaction finishes) for up to `maxBlockMs`.
   */
  private withTransactionCoordinator<T>(
    operation: (connection: Connection) => Promise<T>,
    retryPolicy = this.retryPolicy(),
  ): Promise<T> {
    return this.cluster.withCoordinator('transaction', this.transactionalId, operation, retryPolicy)
  }

  private retryPolicy(): { retries: number; isRetriable: (error: unknown) => boolean } {
    const deadline = Date.now() + this.dependencies.maxBlockMs
    return {
      retries: Number.MAX_SAFE_INTEGER,
      isRetriable: (error) => error instanceof KafkaError && error.retriable && Date.now() < deadline,
    }
  }

  /** Throws the error for a response's top-level code; passes the response through otherwise. */
  private check<T>(code: number, connection: Connection, response: T): T {
    const error = transactionErrorForCode(code, this.transactionalId, { broker: connection.address })
    if (error !== null) throw error
    return response
  }

  // -- state ---------------------------------------------------------------------------------------------

  private require(operation: Parameters<typeof stateProblem>[0]): void {
    if (this.currentState === 'fatal-error' || this.currentState === 'abortable-error') {
      const allowed = operation === 'abortTransaction' && this.currentState === 'abortable-error'
      if (!allowed && this.lastError !== null) throw this.lastError
    }
    const problem = stateProblem(operation, this.currentState)
    if (problem !== null) {
      throw illegalState(`transactional producer "${this.transactionalId}": ${problem}`)
    }
  }

  private async exclusively(name: string, operation: () => Promise<void>): Promise<void> {
    if (this.operation !== null) throw this.busy(name)
    this.operation = name
    try {
      await operation()
    } finally {
      this.operation = null
    }
  }

  private busy(name: string): KafkaError {
    return illegalState(
      `transactional producer "${this.transactionalId}": cannot call ${name}() while ${this.operation}() is still running; await it first`,
    )
  }

  private transitionTo(next: TransactionState): void {
    if (!canTransition(this.currentState, next)) {
      throw illegalState(
        `transactional producer "${this.transactionalId}": invalid transition from ${this.currentState} to ${next}`,
      )
    }
    this.currentState = next
  }

  /** A failure inside the open transaction: fatal ones end the producer, the rest doom the transaction. */
  private failTransaction(error: unknown): void {
    if (failureKind(error) !== 'abortable') {
      this.fail(error)
      return
    }
    if (error instanceof KafkaError && error.retriable) {
      // Ran out of time on something that may still succeed: the transaction stays as it was.
      return
    }
    if (this.currentState === 'in-transaction' || this.currentState === 'committing') {
      this.lastError = abortableError(this.transactionalId, error)
      this.transitionTo('abortable-error')
    }
  }

  private outcomeUnknown(what: string, cause: unknown): TransactionOutcomeUnknownError {
    this.reinitRequired = true
    return outcomeUnknownError(this.transactionalId, what, cause)
  }

  private fail(error: unknown): void {
    if (this.currentState === 'fatal-error') return
    const kafkaError =
      failureKind(error) === 'fenced'
        ? error instanceof KafkaError && error.name === 'ProducerFencedError'
          ? error
          : fencedError(this.transactionalId, error)
        : error instanceof KafkaError
          ? error
          : new KafkaError(String(error), -1, { cause: error })
    this.lastError = kafkaError
    this.currentState = 'fatal-error'
    this.logger.error('transactional producer failed for good', {
      transactionalId: this.transactionalId,
      error: kafkaError,
    })
  }

  /** The error to hand the caller: the recorded fatal or abortable error when there is one. */
  private surface(error: unknown): unknown {
    if (this.currentState === 'fatal-error' && this.lastError !== null) return this.lastError
    return error
  }
}

/**
 * Errors after which a request may or may not have reached the broker and taken effect: a timeout, or a
 * connection that broke with the request in flight.
 */
function isIndefinite(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof ConnectionError
}

function validateOffsets(offsets: TransactionOffsets): TxnOffsetCommitRequestTopic[] {
  if (!Array.isArray(offsets)) {
    throw new ConfigError('offsets', 'expected an array of { topic, partition, offset }')
  }
  offsets.forEach((entry: TransactionOffsets[number], i: number) => {
    if (typeof entry !== 'object' || entry === null) {
      throw new ConfigError(`offsets[${i}]`, 'expected { topic, partition, offset }')
    }
    validateTopicName(`offsets[${i}].topic`, entry.topic)
    validatePartition(`offsets[${i}].partition`, entry.partition)
    validateOffset(`offsets[${i}].offset`, entry.offset)
  })
  return commitTopics(offsets)
}

function validateGroup(group: TransactionGroupMetadata): void {
  if (
    typeof group !== 'object' ||
    group === null ||
    typeof group.groupId !== 'string' ||
    group.groupId === ''
  ) {
    throw new ConfigError(
      'groupMetadata',
      'expected the consuming group member, as returned by consumer.groupMetadata()',
    )
  }
  if (!Number.isInteger(group.generationId) || typeof group.memberId !== 'string') {
    throw new ConfigError('groupMetadata', 'expected { groupId, generationId, memberId, groupInstanceId }')
  }
}
