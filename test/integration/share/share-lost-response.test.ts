import { afterAll, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ShareConsumer } from '../../../src/consumer/share/share-consumer.ts'
import type { AcknowledgementResult } from '../../../src/consumer/share/share-errors.ts'
import { ShareFetch } from '../../../src/protocol/messages/share-fetch.ts'
import { FrameProxy } from '../../../src/testing/frame-proxy.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { newShareGroup, produceValues, shareTopics } from './share-kit.ts'

const topics = shareTopics()
const proxy = new FrameProxy()
const proxied = new Cluster({
  ...resolveClientOptions({
    bootstrap: kafkaBootstrap(),
    clientId: 'share-lost-response',
    requestTimeoutMs: 3000,
  }),
  socketFactory: proxy.socketFactory,
})
afterAll(async () => {
  await proxied.close()
  await proxy.close()
  await topics.close()
})

it('a ShareFetch whose response is lost: its acknowledgements are reported failed, a new session takes over, nothing is lost', async () => {
  const topic = await topics.create('share-lost')
  const groupId = await newShareGroup(topics, { 'share.record.lock.duration.ms': '15000' })
  await produceValues(topic, 5)
  const consumer = new ShareConsumer(proxied, { groupId })
  const results: AcknowledgementResult[] = []
  consumer.onAcknowledgement((batch) => results.push(...batch))
  const seen: Array<{ value: string; deliveryCount: number }> = []
  const pollOnce = async () => {
    for (const m of await consumer.poll({ timeoutMs: 500 })) {
      seen.push({ value: m.value!.toString(), deliveryCount: m.deliveryCount })
    }
  }
  try {
    consumer.subscribe([topic])
    while (seen.length < 5) await pollOnce()
    await produceValues(topic, 5, 0, 5)
    // The next ShareFetch carries the acceptance of v0-v4 and acquires v5-v9; the broker does both, but its
    // answer never arrives. The consumer cannot know, so it reports those acknowledgements failed.
    proxy.dropResponses(ShareFetch.apiKey)
    while (seen.filter((s) => Number(s.value.slice(1)) >= 5).length < 5) await pollOnce()
    await consumer.commit()
  } finally {
    await consumer.close()
  }
  expect(proxy.dropped).toEqual([ShareFetch.apiKey])
  const failed = results.filter((r) => r.error !== null)
  expect(failed.flatMap((r) => r.offsets)).toEqual([0n, 1n, 2n, 3n, 4n])
  // They were applied all the same: v0-v4 never came back. v5-v9, acquired by the lost request, came back.
  const values = seen.map((s) => s.value)
  expect(values.filter((v) => Number(v.slice(1)) < 5).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'])
  expect([...new Set(values)].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort())
}, 60_000)
