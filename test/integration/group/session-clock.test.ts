/**
 * The classic member's own session clock: a member that hears nothing from its coordinator for
 * `sessionTimeoutMs` may have been evicted without being told, so it gives its partitions up as lost instead
 * of going on with records another member may be processing too. Here every Heartbeat response is swallowed
 * by a proxy (the requests still reach the broker, as on a half-open connection); nothing else is touched.
 */

import { afterAll, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { Kafka } from '../../../src/index.ts'
import { KafkaConsumer } from '../../../src/kafka.ts'
import { Heartbeat } from '../../../src/protocol/messages/heartbeat.ts'
import { FrameProxy } from '../../../src/testing/frame-proxy.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { waitFor } from '../../../src/testing/wait-for.ts'

const SESSION_TIMEOUT_MS = 6000
const proxy = new FrameProxy()
const cluster = new Cluster({
  ...resolveClientOptions({
    bootstrap: kafkaBootstrap(),
    clientId: 'session-clock',
    logger: false,
    // Longer than the session: only the member's own clock can notice before a heartbeat request fails.
    requestTimeoutMs: 30_000,
  }),
  socketFactory: proxy.socketFactory,
})
const kafka = new Kafka({ bootstrap: kafkaBootstrap(), clientId: 'session-clock-admin', logger: false })
afterAll(async () => {
  await cluster.close()
  await proxy.close()
})

it('no heartbeat answered for sessionTimeoutMs: the partitions are reported lost, then the member rejoins and gets them again', async () => {
  const topic = uniqueName('session-clock')
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions: 2 }])
  await admin.close()
  const consumer = new KafkaConsumer(cluster, {
    groupId: uniqueName('session-clock'),
    enableAutoCommit: false,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: 500,
    // The heartbeat worker connects on its own, past the proxy: it would answer for the member.
    backgroundHeartbeat: false,
  })
  const events: Array<{ event: string; at: number; partitions: number }> = []
  const note = (event: string) => (partitions: unknown[]) => {
    events.push({ event, at: performance.now(), partitions: partitions.length })
  }
  consumer.subscribe([topic], {
    onPartitionsAssigned: note('assigned'),
    onPartitionsRevoked: note('revoked'),
    onPartitionsLost: note('lost'),
  })
  let polling = true
  const loop = (async () => {
    while (polling) await consumer.poll({ timeoutMs: 100 })
  })()
  try {
    await waitFor('the first assignment', () =>
      events.some((e) => e.event === 'assigned' && e.partitions === 2),
    )
    const silencedAt = performance.now()
    proxy.dropResponses(Heartbeat.apiKey, 1_000_000)
    await waitFor('the partitions to be reported lost', () => events.some((e) => e.event === 'lost'), 20_000)
    const lost = events.find((e) => e.event === 'lost')!
    expect(lost.partitions).toBe(2)
    // Not before the session could have expired, and not as late as a request timeout would have told it.
    expect(lost.at - silencedAt).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 1000)
    expect(lost.at - silencedAt).toBeLessThan(30_000)
    // The JoinGroup and SyncGroup answers still arrive: it is a member again, with both partitions.
    await waitFor(
      'the partitions back after the rejoin',
      () => events.some((e) => e.event === 'assigned' && e.partitions === 2 && e.at > lost.at),
      20_000,
    )
    expect(events.filter((e) => e.event === 'revoked')).toEqual([])
  } finally {
    polling = false
    await loop
    await consumer.close()
  }
}, 60_000)
