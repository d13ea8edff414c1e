/** Helpers for the share group tests: topics, records, and group configs set on the broker. */

import { Kafka } from '../../../src/kafka.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

export const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'samsa-share-test' })

export function shareTopics(): TestTopics {
  return new TestTopics('samsa-share-test')
}

/**
 * A new share group name, configured to start at the log start (`share.auto.offset.reset` is `latest` by
 * default, which would skip records produced before the first member joined) plus `configs`.
 */
export async function newShareGroup(
  topics: TestTopics,
  configs: Record<string, string> = {},
): Promise<string> {
  const groupId = uniqueName('share')
  // alterGroupConfigs waits until the broker applies them, so the first member already starts at earliest.
  await topics.admin.alterGroupConfigs(groupId, {
    set: { 'share.auto.offset.reset': 'earliest', ...configs },
  })
  return groupId
}

/** Produces `count` records valued `v<first>`, `v<first+1>`, ... to partition `partition` of `topic`. */
export async function produceValues(topic: string, count: number, partition = 0, first = 0): Promise<void> {
  const producer = kafka.producer({ lingerMs: 0 })
  try {
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        producer.send({ topic, partition, value: Buffer.from(`v${first + i}`) }),
      ),
    )
  } finally {
    await producer.close()
  }
}

/** Resolves when `condition` holds, polling every 50 ms; rejects naming `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
