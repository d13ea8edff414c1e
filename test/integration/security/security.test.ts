/**
 * TLS and every SASL mechanism against a real SASL_SSL broker: each connects, produces and consumes; each
 * kind of bad credential fails fast with an AuthenticationError that does not contain the secret.
 */

import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import type { ClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { AuthenticationError } from '../../../src/common/errors.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { ConsumerMessage } from '../../../src/consumer/message.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { type SecureRig, startSecureRig, stopSecureRig, unsecuredJwt } from './secure-rig.ts'

let rig: SecureRig
let topic: string

beforeAll(async () => {
  rig = await startSecureRig(0)
  topic = uniqueName('security')
  const cluster = Cluster.create({ bootstrap: rig.plaintextBootstrap })
  await new Admin(cluster).createTopics([{ topic, partitions: 1 }])
  await cluster.close()
}, 180_000)

afterAll(async () => {
  await stopSecureRig(rig)
}, 60_000)

/** Produces three records and reads back everything in the topic, all through one secured client. */
async function produceAndConsume(
  options: Omit<ClientOptions, 'bootstrap'> & { bootstrap: string },
  label: string,
) {
  const cluster = Cluster.create({ ...options, clientId: `security-${label}` })
  try {
    const producer = new Producer(cluster, { acks: 'all' })
    const sent = await producer.sendBatch(
      [0, 1, 2].map((i) => ({ topic, partition: 0, key: label, value: `${label}-${i}` })),
    )
    await producer.close()
    const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
    consumer.assign([{ topic, partition: 0 }])
    const messages: ConsumerMessage[] = []
    const last = sent.at(-1)!.offset
    const deadline = Date.now() + 30_000
    while (!messages.some((m) => m.offset === last) && Date.now() < deadline) {
      messages.push(...(await consumer.poll({ timeoutMs: 500 })))
    }
    await consumer.close()
    return messages.filter((m) => m.key?.toString() === label).map((m) => m.value?.toString())
  } finally {
    await cluster.close()
  }
}

describe('secured connections produce and consume', () => {
  const password = () => ({ username: rig.username, password: rig.password })

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('SASL %s over TLS', async (mechanism) => {
    const values = await produceAndConsume(
      { bootstrap: rig.saslSslBootstrap, tls: { ca: rig.ca }, sasl: { mechanism, ...password() } },
      mechanism,
    )
    expect(values).toEqual([`${mechanism}-0`, `${mechanism}-1`, `${mechanism}-2`])
  })

  it('SASL OAUTHBEARER over TLS, with the token from the provider', async () => {
    let calls = 0
    const values = await produceAndConsume(
      {
        bootstrap: rig.saslSslBootstrap,
        tls: { ca: rig.ca },
        sasl: {
          mechanism: 'oauthbearer',
          token: async () => {
            calls++
            return { value: unsecuredJwt(rig.username, 600) }
          },
        },
      },
      'oauthbearer',
    )
    expect(values).toEqual(['oauthbearer-0', 'oauthbearer-1', 'oauthbearer-2'])
    // Once per connection: the bootstrap one, then the broker's own.
    expect(calls).toBeGreaterThanOrEqual(1)
  })

  it('TLS with a client certificate (mutual TLS, no SASL)', async () => {
    const { readFileSync } = await import('node:fs')
    const values = await produceAndConsume(
      {
        bootstrap: rig.sslBootstrap,
        tls: { ca: rig.ca, cert: readFileSync(rig.clientCertFile), key: readFileSync(rig.clientKeyFile) },
      },
      'mtls',
    )
    expect(values).toEqual(['mtls-0', 'mtls-1', 'mtls-2'])
  })
})

describe('refused credentials fail at once with AuthenticationError', () => {
  const WRONG = 'definitely-not-the-password'

  async function failure(options: ClientOptions): Promise<AuthenticationError> {
    // Generous retries: an AuthenticationError must not use them.
    const cluster = Cluster.create({ ...options, retries: 5, retryBackoffMs: 1000 })
    const started = Date.now()
    try {
      await new Admin(cluster).listTopics()
      throw new Error('expected the connection to be refused')
    } catch (error) {
      expect(error).toBeInstanceOf(AuthenticationError)
      expect((error as AuthenticationError).retriable).toBe(false)
      expect(Date.now() - started).toBeLessThan(5000)
      return error as AuthenticationError
    } finally {
      await cluster.close()
    }
  }

  /** Everything a logger or a crash report could show of the error. */
  function everything(error: Error): string {
    return `${inspect(error, { depth: 10 })} ${JSON.stringify(error)} ${error.stack} ${String(error.cause)}`
  }

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    '%s with a wrong password',
    async (mechanism) => {
      const error = await failure({
        bootstrap: rig.saslSslBootstrap,
        tls: { ca: rig.ca },
        sasl: { mechanism, username: rig.username, password: WRONG },
      })
      expect(error.message).toMatch(/authentication with broker 127\.0\.0\.1:\d+ failed/)
      expect(error.broker).toMatch(/^127\.0\.0\.1:/)
      expect(everything(error)).not.toContain(WRONG)
    },
  )

  it.each(['plain', 'scram-sha-256'] as const)('%s with an unknown user', async (mechanism) => {
    const error = await failure({
      bootstrap: rig.saslSslBootstrap,
      tls: { ca: rig.ca },
      sasl: { mechanism, username: 'nobody-here', password: rig.password },
    })
    expect(error.message).toMatch(/authentication with broker .* failed/)
    expect(everything(error)).not.toContain(rig.password)
  })

  it('OAUTHBEARER with an expired token', async () => {
    const token = unsecuredJwt(rig.username, -60)
    const error = await failure({
      bootstrap: rig.saslSslBootstrap,
      tls: { ca: rig.ca },
      sasl: { mechanism: 'oauthbearer', token: () => token },
    })
    expect(error.message).toMatch(/OAUTHBEARER .* rejected the token \(status invalid_token\)/)
    expect(everything(error)).not.toContain(token)
  })

  it('a broker certificate not signed by a trusted CA', async () => {
    const error = await failure({
      bootstrap: rig.saslSslBootstrap,
      tls: true,
      sasl: { mechanism: 'plain', username: rig.username, password: rig.password },
    })
    expect(error.message).toMatch(
      /TLS certificate of broker .* did not verify \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    )
  })

  it('a broker certificate for another host name', async () => {
    const error = await failure({
      bootstrap: rig.saslSslBootstrap,
      tls: { ca: rig.ca, servername: 'kafka.example.com' },
      sasl: { mechanism: 'plain', username: rig.username, password: rig.password },
    })
    expect(error.message).toMatch(/did not verify \(ERR_TLS_CERT_ALTNAME_INVALID\)/)
  })

  it('no client certificate where the broker requires one', async () => {
    const error = await failure({ bootstrap: rig.sslBootstrap, tls: { ca: rig.ca } })
    expect(error.message).toMatch(/refused the TLS client certificate/)
  })
})
