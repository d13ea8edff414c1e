/**
 * The seam between `run()` and an exactly-once guarantee. The runner positions partitions where the
 * guarantee says, and processes each unit of work (one message, or one partition's batch) inside
 * {@link ProcessingGuarantee.execute}: the guarantee opens its transaction, the handler writes inside it, the
 * guarantee adds the input offsets and commits, or aborts everything on any failure. Two guarantees exist:
 * an external {@link OffsetStore} (a database transaction) and a Kafka transaction (a transactional
 * producer, offsets sent with the consumer's group metadata).
 */

import { ClientErrorCode, KafkaError } from '../common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../common/types.ts'

export interface ProcessingGuarantee {
  /** The name in logs and errors: `'offset-store'` or `'kafka-transaction'`. */
  readonly name: string
  /**
   * True when only one transaction can be open at a time (a Kafka producer): units run at the same time
   * (`partitionsConcurrency`) then share one {@link execute}. False when each unit may have its own.
   */
  readonly oneTransactionAtATime: boolean
  /**
   * Where each partition starts: called on assignment and after an aborted unit (whose commit may or may not
   * have happened). A missing entry (or null) means the group's committed offset or `autoOffsetReset`.
   */
  positions(partitions: readonly TopicPartition[]): Promise<Map<string, bigint | null>>
  /**
   * Runs `work` in one transaction with `offsets` (next offsets to read), committing both or neither.
   * Rejects, after aborting, with the handler's error or the commit's.
   */
  execute(
    offsets: readonly TopicPartitionOffset[],
    work: (transaction: unknown) => Promise<void>,
  ): Promise<void>
  /**
   * The member lost `partitions` (not revoked: another member may already own them). Called before the
   * runner waits for the unit in flight, whose transaction must then abort rather than commit.
   */
  partitionsLost?(partitions: readonly TopicPartition[]): void
  /** True for errors after which this instance must stop: it was fenced, another took over. */
  isFatal(error: unknown): boolean
  /** Called once when the run stops. */
  close?(): Promise<void>
}

/**
 * A unit's offsets were refused because another instance claimed the partition since (a newer epoch): this
 * instance is a zombie. Its transaction was rolled back; the run stops.
 */
export class OffsetStoreFencedError extends KafkaError {
  override name = 'OffsetStoreFencedError'
  constructor(message: string, context: { topic: string; partition: number }) {
    super(message, ClientErrorCode.offsetStoreFenced, { ...context, retriable: false })
  }
}
