/**
 * Helpers for the consumer's integration tests: unique topics created with Kafka's own TopicCommand, and
 * records written with explicit timestamps through a bare Produce request (the tests must not depend on
 * samsa's producer to check samsa's consumer).
 */

import { Cluster } from '../../../src/cluster/cluster.ts'
import { errorForCode } from '../../../src/protocol/errors/broker-error.ts'
import { Produce } from '../../../src/protocol/messages/produce.ts'
import { encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.ts'
import { createTopicWithJava } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

export const bootstrap = kafkaBootstrap()

export async function createTopic(
  topic: string,
  partitions: number,
  config?: Record<string, string>,
): Promise<void> {
  await createTopicWithJava({ bootstrap, topic, partitions, ...(config === undefined ? {} : { config }) })
}

export function newCluster(): Cluster {
  return Cluster.create({ bootstrap: [bootstrap], clientId: 'samsa-consumer-test' })
}

/** Appends one batch to a partition with acks=all and returns the base offset the broker gave it. */
export async function produceBatch(
  cluster: Cluster,
  topic: string,
  partition: number,
  records: { value: string; key?: string; timestamp: number; headers?: { key: string; value: string }[] }[],
): Promise<bigint> {
  const batch = encodeUncompressedRecordBatch({
    records: records.map((r) => ({
      key: r.key === undefined ? null : Buffer.from(r.key),
      value: Buffer.from(r.value),
      timestamp: BigInt(r.timestamp),
      headers: (r.headers ?? []).map((h) => ({ key: h.key, value: Buffer.from(h.value) })),
    })),
  })
  // A topic created a moment ago may not have settled its leader on every broker yet: the cluster's retry
  // loop refreshes metadata and tries again on NOT_LEADER_OR_FOLLOWER and friends.
  return cluster.retry(async () => {
    const connection = await cluster.leaderConnection(topic, partition)
    const response = await connection.request(
      Produce,
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [
          {
            name: topic,
            topicId: '00000000-0000-0000-0000-000000000000',
            partitionData: [{ index: partition, records: batch }],
          },
        ],
      },
      // v13 names topics by id; the name is all this helper has.
      { maxVersion: 12 },
    )
    const result = response.responses[0]?.partitionResponses[0]
    if (result === undefined) throw new Error(`produce to ${topic}-${partition} got no partition response`)
    const error = errorForCode(result.errorCode, { topic, partition, broker: connection.address })
    if (error !== null) throw error
    return result.baseOffset
  })
}
