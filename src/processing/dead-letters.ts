/**
 * Dead letters: where a message goes when its handler failed for the last time and `retry.onExhausted` is
 * `'dead-letter'`. The record keeps the original key, value and headers and adds headers naming where it came
 * from and why it failed, so a person (or a replay tool) can tell what happened without the original topic.
 *
 * The runner marks the original consumed only once {@link DeadLetterSink.write} resolved, that is once the
 * broker acknowledged the dead letter: a crash before that re-delivers the original, never loses it.
 */

import type { ConsumerMessage } from '../consumer/message.ts'
import type { Producer } from '../producer/producer.ts'
import type { ProducerRecord } from '../producer/types.ts'

/** Header names of a dead-letter record. */
export const deadLetterHeaders = {
  originalTopic: 'samsa.dlt.original-topic',
  originalPartition: 'samsa.dlt.original-partition',
  originalOffset: 'samsa.dlt.original-offset',
  originalTimestamp: 'samsa.dlt.original-timestamp',
  errorClass: 'samsa.dlt.error-class',
  errorMessage: 'samsa.dlt.error-message',
  attempts: 'samsa.dlt.attempts',
} as const

/**
 * Writes dead letters; `write` resolves once the record is acknowledged. The default sends with a producer;
 * a transactional run supplies its own, so the dead letter and the original's offset share one transaction.
 */
export interface DeadLetterSink {
  write(record: ProducerRecord): Promise<void>
  /** Releases what the sink owns (a producer it created); called once when the run stops. */
  close?(): Promise<void>
}

/** Longest error message copied into a header; the rest is cut so a huge message cannot fail the write. */
const maxErrorMessageLength = 4096

/** The dead letter for `message`, which failed `attempts` times, the last time with `error`. */
export function deadLetterRecord(
  topic: string,
  message: ConsumerMessage,
  error: unknown,
  attempts: number,
): ProducerRecord {
  const errorClass = error instanceof Error ? error.constructor.name : typeof error
  const errorMessage = (error instanceof Error ? error.message : String(error)).slice(
    0,
    maxErrorMessageLength,
  )
  return {
    topic,
    key: message.key,
    value: message.value,
    headers: [
      ...message.headers,
      { key: deadLetterHeaders.originalTopic, value: Buffer.from(message.topic) },
      { key: deadLetterHeaders.originalPartition, value: Buffer.from(String(message.partition)) },
      { key: deadLetterHeaders.originalOffset, value: Buffer.from(String(message.offset)) },
      { key: deadLetterHeaders.originalTimestamp, value: Buffer.from(String(message.timestamp)) },
      { key: deadLetterHeaders.errorClass, value: Buffer.from(errorClass) },
      { key: deadLetterHeaders.errorMessage, value: Buffer.from(errorMessage) },
      { key: deadLetterHeaders.attempts, value: Buffer.from(String(attempts)) },
    ],
  }
}

/** A sink over `producer`; `owned` producers are closed with the sink. */
export function producerDeadLetterSink(producer: Producer, owned: boolean): DeadLetterSink {
  return {
    write: async (record) => {
      await producer.send(record)
    },
    close: owned ? () => producer.close() : undefined,
  }
}
