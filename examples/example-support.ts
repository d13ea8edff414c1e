/**
 * What every offset example needs around it: a topic with records to read, and where the broker is.
 * Kept apart so each example file shows only the pattern it is about.
 */

import { Kafka } from '../src/kafka.ts'
import { kafkaBootstrap as bootstrapAddress } from '../src/testing/kafka-bootstrap.ts'

// Where the broker is (KAFKA_BOOTSTRAP, else the rig's 127.0.0.1:9092) and fresh names: the same helpers the
// integration tests use.
export { uniqueName } from '../src/testing/kafka-bootstrap.ts'
export { bootstrapAddress }

/** Creates `topic` and writes `count` records, values `record-0` ... spread over the partitions by key. */
export async function topicWithRecords(topic: string, partitions: number, count: number): Promise<void> {
  const kafka = new Kafka({ bootstrap: [bootstrapAddress()] })
  const admin = kafka.admin()
  const producer = kafka.producer()
  try {
    await admin.createTopics([{ topic, partitions, replicationFactor: 1 }])
    await producer.sendBatch(
      Array.from({ length: count }, (_, i) => ({ topic, key: `key-${i}`, value: `record-${i}` })),
    )
    await producer.flush()
  } finally {
    await producer.close()
    await admin.close()
  }
}

/** The offset group `groupId` has committed for partition 0 of `topic`, or null if none. */
export async function committedOffset(kafka: Kafka, groupId: string, topic: string): Promise<bigint | null> {
  const reader = kafka.consumer({ groupId, enableAutoCommit: false })
  try {
    const [answer] = await reader.committed([{ topic, partition: 0 }])
    return answer?.offset ?? null
  } finally {
    await reader.close()
  }
}
