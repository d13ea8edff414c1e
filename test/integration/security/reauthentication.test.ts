/**
 * KIP-368 re-authentication: an OAUTHBEARER session ends with its token, so a connection must
 * authenticate again, with a fresh token, before the broker would close it; requests keep flowing on the
 * same connection across it.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import type { Logger } from '../../../src/common/logger.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { type SecureRig, startSecureRig, stopSecureRig, unsecuredJwt } from './secure-rig.ts'

let rig: SecureRig

beforeAll(async () => {
  rig = await startSecureRig(1)
}, 180_000)

afterAll(async () => {
  await stopSecureRig(rig)
}, 60_000)

it('re-authenticates with a fresh token before a short-lived session ends, on the same connection', async () => {
  const TOKEN_SECONDS = 5
  const events: string[] = []
  const record = (message: string) => events.push(message)
  const logger: Logger = { debug: record, info: record, warn: record, error: record }
  let tokens = 0
  const cluster = Cluster.create({
    bootstrap: rig.saslSslBootstrap,
    tls: { ca: rig.ca },
    logger,
    sasl: {
      mechanism: 'oauthbearer',
      token: () => {
        tokens++
        return unsecuredJwt(rig.username, TOKEN_SECONDS)
      },
    },
  })
  const topic = uniqueName('reauth')
  try {
    await new Admin(cluster).createTopics([{ topic, partitions: 1 }])
    const producer = new Producer(cluster, { acks: 'all' })
    const connectionsBefore = events.filter((e) => e === 'connected').length
    const tokensBefore = tokens
    // Keep the connection busy for more than two token lifetimes.
    const until = Date.now() + 2.5 * TOKEN_SECONDS * 1000
    let sent = 0
    while (Date.now() < until) {
      await producer.send({ topic, partition: 0, value: `v${sent}` })
      sent++
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    await producer.close()
    expect(sent).toBeGreaterThan(10)
    expect(events.filter((e) => e === 're-authenticating').length).toBeGreaterThanOrEqual(2)
    expect(tokens - tokensBefore).toBeGreaterThanOrEqual(2)
    // No connection was lost and replaced along the way.
    expect(events.filter((e) => e === 'connected').length).toBe(connectionsBefore)
    expect(events.some((e) => /closed by the broker/.test(e))).toBe(false)
  } finally {
    await cluster.close()
  }
}, 60_000)
