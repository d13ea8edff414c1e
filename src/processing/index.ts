/** The processing layer: `run()` with acknowledgement modes over a group consumer. */

export { type DeadLetterSink, deadLetterHeaders } from './dead-letters.ts'
export type { FencedOffset, OffsetClaim, OffsetStore } from './offset-store.ts'
export type { NackOptions } from './outcomes.ts'
export { AckMessage, NackMessage, PartitionStoppedError, RejectMessage } from './outcomes.ts'
export { OffsetStoreFencedError, type ProcessingGuarantee } from './processing-guarantee.ts'
export type {
  AckMode,
  CommitCadence,
  DeadLetterOptions,
  EachBatchPayload,
  EachMessagePayload,
  MarkAsConsumed,
  MessageBatch,
  OnExhausted,
  Ordering,
  ProcessingMessage,
  RetryOptions,
  RunOptions,
  ShutdownPayload,
  UnsettledEvent,
} from './run-options.ts'
export { MessageRunner, type RunHandle, type RunnerContext, runConsumer } from './runner.ts'
