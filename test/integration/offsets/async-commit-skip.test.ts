/**
 * An asynchronous commit of a group member leaves out the partitions whose offset the coordinator already
 * holds from this member (commit-manager.ts), so committing after every poll does not rewrite idle
 * partitions; a synchronous commit still sends every partition it names. Checked on the OffsetCommit
 * requests that actually reach the broker, seen through a proxy, and on what the broker then holds.
 */

import { afterAll, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import type { KafkaError } from '../../../src/common/errors.ts'
import type { TopicPartitionOffset } from '../../../src/common/types.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { requestHeaderVersion } from '../../../src/protocol/api.ts'
import { OffsetCommit } from '../../../src/protocol/messages/offset-commit.ts'
import { decodeRequestHeader } from '../../../src/protocol/messages/request-header.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { FrameProxy } from '../../../src/testing/frame-proxy.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { produceBatch } from '../consumer/consumer-kit.ts'
import { groupName, newCluster, pollAtLeast, topicWithRecords } from './offsets-kit.ts'

const proxy = new FrameProxy()
const cluster = new Cluster({
  ...resolveClientOptions({ bootstrap: kafkaBootstrap(), clientId: 'async-commit-skip', logger: false }),
  socketFactory: proxy.socketFactory,
})
afterAll(async () => {
  await cluster.close()
  await proxy.close()
})

/** The partitions (with offsets) of each OffsetCommit request for `group` that went through the proxy. */
function recordCommits(group: string): string[][] {
  const commits: string[][] = []
  proxy.onRequest = (frame) => {
    if (frame.readInt16BE(4) !== OffsetCommit.apiKey) return
    const reader = new Reader(frame.subarray(4))
    const header = decodeRequestHeader(reader, requestHeaderVersion(OffsetCommit, frame.readInt16BE(6)))
    const request = OffsetCommit.decodeRequest(reader, header.requestApiVersion)
    if (request.groupId !== group) return
    commits.push(
      request.topics.flatMap((topic) =>
        topic.partitions.map((p) => `${p.partitionIndex}@${p.committedOffset}`),
      ),
    )
  }
  return commits
}

function commitAsync(consumer: Consumer): Promise<TopicPartitionOffset[]> {
  return new Promise((resolve, reject) =>
    consumer.commitAsync(undefined, (error: KafkaError | null, offsets) =>
      error === null ? resolve(offsets) : reject(error),
    ),
  )
}

it('an async commit sends only the partitions that moved; a sync commit sends them all', async () => {
  const topic = await topicWithRecords('async-commit-skip', 3, 10)
  const group = groupName('async-commit-skip')
  const sent = recordCommits(group)
  const consumer = new Consumer(cluster, {
    groupId: group,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  try {
    consumer.subscribe([topic])
    await pollAtLeast(consumer, 30)

    // Nothing confirmed yet: every partition goes out.
    const first = await commitAsync(consumer)
    expect(first.map((o) => `${o.partition}@${o.offset}`).sort()).toEqual(['0@10', '1@10', '2@10'])

    // Only partition 1 moves; the next async commit carries it alone, yet reports all three committed.
    const producing = newCluster()
    try {
      await produceBatch(producing, topic, 1, [{ value: 'more', timestamp: Date.now() }])
    } finally {
      await producing.close()
    }
    await pollAtLeast(consumer, 1)
    const second = await commitAsync(consumer)
    expect(second.map((o) => `${o.partition}@${o.offset}`).sort()).toEqual(['0@10', '1@11', '2@10'])

    // A synchronous commit sends every partition again.
    await consumer.commit()

    expect(sent.map((partitions) => [...partitions].sort())).toEqual([
      ['0@10', '1@10', '2@10'],
      ['1@11'],
      ['0@10', '1@11', '2@10'],
    ])
    const committed = await consumer.committed([0, 1, 2].map((partition) => ({ topic, partition })))
    expect(committed.map((c) => `${c.partition}@${c.offset}`).sort()).toEqual(['0@10', '1@11', '2@10'])
  } finally {
    proxy.onRequest = undefined
    await consumer.close()
  }
})
