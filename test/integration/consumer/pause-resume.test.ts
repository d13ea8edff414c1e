import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Cluster } from '../../../src/cluster/cluster.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'
import { createTopic, newCluster, produceBatch } from './consumer-kit.ts'

let cluster: Cluster
beforeAll(() => {
  cluster = newCluster()
})
afterAll(async () => {
  await cluster.close()
})

/** The consumer's fetch buffer entries, read directly: how many fetches wait is internal, and the test needs it. */
function bufferedFetches(consumer: Consumer): number {
  const buffer = (consumer as unknown as { buffer: { entries(): Iterable<unknown> } }).buffer
  return [...buffer.entries()].length
}

it('pausing a partition with several buffered fetches keeps them all: after resume every record arrives', async () => {
  const topic = uniqueName('pause-resume')
  await createTopic(topic, 1)
  const batches = 20
  for (let b = 0; b < batches; b++) {
    await produceBatch(
      cluster,
      topic,
      0,
      Array.from({ length: 10 }, (_, i) => ({ value: `v${b * 10 + i}`, timestamp: 1_700_000_000_000 + i })),
    )
  }
  // One batch per fetch response, one record per poll: the fetcher runs ahead and several fetches wait buffered.
  const consumer = new Consumer(cluster, {
    autoOffsetReset: 'earliest',
    maxPartitionFetchBytes: 1,
    maxPollRecords: 1,
  })
  try {
    const tp = { topic, partition: 0 }
    consumer.assign([tp])
    const received: ConsumerMessage[] = []
    await waitFor('the first record', async () => {
      received.push(...(await consumer.poll({ timeoutMs: 200 })))
      return received.length > 0
    })
    await waitFor('several fetches buffered', () => bufferedFetches(consumer) >= 3)
    consumer.pause([tp])
    expect(await consumer.poll({ timeoutMs: 200 })).toEqual([])
    consumer.resume([tp])
    // Without every fetch kept, the partition stalls at the first hole and this times out.
    await waitFor('every record after resume', async () => {
      for (let i = 0; i < 50; i++) received.push(...(await consumer.poll({ timeoutMs: 100 })))
      return received.length >= batches * 10
    })
    expect(received.map((m) => Number(m.offset))).toEqual(Array.from({ length: batches * 10 }, (_, i) => i))
  } finally {
    await consumer.close()
  }
})
