/** The processing layer: `run()` with acknowledgement modes over a group consumer. */

export type { NackOptions } from './outcomes.ts'
export { AckMessage, NackMessage, PartitionStoppedError, RejectMessage } from './outcomes.ts'
export type {
  AckMode,
  CommitCadence,
  EachBatchPayload,
  EachMessagePayload,
  MarkAsConsumed,
  MessageBatch,
  ProcessingMessage,
  RetryOptions,
  RunOptions,
  ShutdownPayload,
} from './run-options.ts'
export { MessageRunner, type RunHandle, runConsumer } from './runner.ts'
