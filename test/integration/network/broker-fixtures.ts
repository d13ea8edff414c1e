/** Helpers shared by the network and cluster integration tests. */

import { BrokerError } from '../../../src/common/errors.ts'
import type { Connection } from '../../../src/network/connection.ts'
import { CreateTopics } from '../../../src/protocol/messages/create-topics.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

/** The first bootstrap address as host and port. */
export function firstBroker(): { host: string; port: number } {
  const first = kafkaBootstrap().split(',')[0]!.trim()
  const colon = first.lastIndexOf(':')
  return { host: first.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(first.slice(colon + 1)) }
}

/** Creates a topic through `connection` with CreateTopics and fails the test on any error code. */
export async function createTopic(connection: Connection, name: string, partitions: number): Promise<void> {
  const response = await connection.request(CreateTopics, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 15_000,
    validateOnly: false,
  })
  const result = response.topics[0]
  if (result === undefined || result.errorCode !== 0) {
    throw new BrokerError(
      `CreateTopics ${name} failed: ${result?.errorCode} ${result?.errorMessage}`,
      result?.errorCode ?? -1,
      'CREATE_TOPICS',
    )
  }
}
