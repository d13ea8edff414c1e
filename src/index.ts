/**
 * samsa: a pure-TypeScript Apache Kafka client.
 *
 * Start with {@link Kafka}: `new Kafka({ bootstrap: '127.0.0.1:9092' })`, then `.producer()`, `.consumer()`
 * and `.admin()`. Offsets are `bigint` everywhere, and a committed offset is always the next offset to read.
 */

export { Admin } from './admin/admin.ts'
export type {
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  GroupOffsetReset,
  GroupPartitionOffsets,
  GroupType,
  ListGroupsOptions,
  OffsetResetTarget,
  ResetGroupOffsetsOptions,
} from './admin/group-types.ts'
export type * from './admin/share-group-types.ts'
export type * from './admin/types.ts'
export type { ClientOptions, SaslOptions, TlsOptions } from './cluster/client-options.ts'
export * from './common/errors.ts'
export type { Logger, LogLevel } from './common/logger.ts'
export { createConsoleLogger, silentLogger } from './common/logger.ts'
export type { RecordHeader, TopicPartition, TopicPartitionOffset } from './common/types.ts'
export { Consumer } from './consumer/consumer.ts'
export type { AutoOffsetReset, ConsumerOptions, IsolationLevel } from './consumer/consumer-options.ts'
export type { PartitionAssignor } from './consumer/group/assignors/assignor.ts'
export type { GroupOptions, GroupProtocol } from './consumer/group/group-options.ts'
export type { GroupMetadata, RebalanceListener } from './consumer/group/rebalance-listener.ts'
export type { ConsumerMessage, TimestampType } from './consumer/message.ts'
export type { CommitEvent, CommitReason } from './consumer/offsets/commit-options.ts'
export type { AcknowledgeKind } from './consumer/share/acknowledgements.ts'
export type { AcknowledgementListener, SharePollOptions } from './consumer/share/share-consumer.ts'
export { ShareConsumer } from './consumer/share/share-consumer.ts'
export type { AcknowledgementResult } from './consumer/share/share-errors.ts'
export { AcknowledgementError } from './consumer/share/share-errors.ts'
export type { ShareMessage } from './consumer/share/share-message.ts'
export type { ShareAcknowledgementMode, ShareConsumerOptions } from './consumer/share/share-options.ts'
export { Kafka, KafkaConsumer, KafkaShareConsumer } from './kafka.ts'
export type { OAuthBearerToken } from './network/sasl/sasl-options.ts'
export type { ThrottleMetrics } from './network/throttle.ts'
export type {
  AckMode,
  CommitCadence,
  DeadLetterOptions,
  DeadLetterSink,
  EachBatchPayload,
  EachMessagePayload,
  FencedOffset,
  MarkAsConsumed,
  MessageBatch,
  NackOptions,
  OffsetClaim,
  OffsetStore,
  OnExhausted,
  Ordering,
  ProcessingGuarantee,
  ProcessingMessage,
  RetryOptions,
  RunHandle,
  RunOptions,
  ShutdownPayload,
  UnsettledEvent,
} from './processing/index.ts'
export {
  AckMessage,
  deadLetterHeaders,
  NackMessage,
  OffsetStoreFencedError,
  PartitionStoppedError,
  RejectMessage,
  runConsumer,
} from './processing/index.ts'
export type {
  ShareEachBatchPayload,
  ShareEachMessagePayload,
  ShareRunOptions,
} from './processing/share-run-options.ts'
export type { ShareRunHandle } from './processing/share-runner.ts'
export { RecordTooLargeError } from './producer/errors.ts'
export type { ProducerCloseOptions } from './producer/producer.ts'
export { Producer } from './producer/producer.ts'
export type { ProducerOptions } from './producer/producer-options.ts'
export { Transaction } from './producer/transactions/transaction.ts'
export type { TransactionGroupMetadata, TransactionOffsets } from './producer/transactions/types.ts'
export type {
  Acks,
  Partitioner,
  PartitionerContext,
  ProducerRecord,
  RecordMetadata,
} from './producer/types.ts'
export type { CompressionCodec, CompressionType, DecompressLimits } from './protocol/compression/index.ts'
export {
  createGzipCodec,
  createLz4Codec,
  createSnappyCodec,
  createZstdCodec,
  hasNodeZstd,
  registerCodec,
} from './protocol/compression/index.ts'
