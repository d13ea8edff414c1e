/** The producer's public surface, for the facade (`src/kafka.ts`) and `src/index.ts` to re-export. */

export { RecordTooLargeError } from './errors.ts'
export { Producer, type ProducerCloseOptions } from './producer.ts'
export type { ProducerOptions } from './producer-options.ts'
export type { Acks, Partitioner, PartitionerContext, ProducerRecord, RecordMetadata } from './types.ts'
