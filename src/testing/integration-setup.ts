/**
 * Vitest global setup for the `integration` project: makes sure one Kafka cluster answers for the whole run
 * and tells every test file where it is, as `inject('kafkaBootstrap')` and as `process.env.KAFKA_BOOTSTRAP`.
 *
 * Order of preference: a cluster named by `KAFKA_BOOTSTRAP`; the rig's single broker on
 * `SAMSA_TEST_BROKER_PORT` (default 9092), started here or reused if the rig already runs it; and, when that
 * port already serves a Kafka broker the rig did not start, that broker. Only a broker started here is
 * stopped at the end.
 */

import type { TestProject } from 'vitest/node'
import {
  brokerStatus,
  checkExternalCluster,
  ensureKafkaJars,
  RigError,
  startBroker,
  stopBroker,
} from '../rig/index.ts'
import { probeApiVersions } from '../rig/probe.ts'

declare module 'vitest' {
  interface ProvidedContext {
    /** The `host:port[,host:port]` list of the cluster under test. */
    kafkaBootstrap: string
  }
}

const log = (line: string) => process.stderr.write(`[integration-setup] ${line}\n`)

async function resolveCluster(): Promise<{ bootstrap: string; stop?: () => Promise<void> }> {
  const external = process.env.KAFKA_BOOTSTRAP?.trim()
  if (external !== undefined && external !== '') {
    await checkExternalCluster(external)
    log(`using KAFKA_BOOTSTRAP=${external}`)
    // Test files cross-check with the Java tools; resolving the jars once here keeps parallel workers from
    // each starting a download. Tests that never touch Java must still run without it, so only warn.
    await ensureKafkaJars({ progress: log }).catch((error: Error) => {
      log(`the Java tools will be unavailable: ${error.message}`)
    })
    return { bootstrap: external }
  }
  const port = Number(process.env.SAMSA_TEST_BROKER_PORT ?? 9092)
  try {
    const broker = await startBroker({ port, progress: log })
    if (broker.reused) {
      log(`reusing the rig broker already running on ${broker.bootstrap}; it stays up afterwards`)
      return { bootstrap: broker.bootstrap }
    }
    return {
      bootstrap: broker.bootstrap,
      stop: async () => {
        await stopBroker({ port })
        log(`stopped the broker on ${broker.bootstrap}`)
      },
    }
  } catch (error) {
    // A developer's own broker on the default port is what they want the tests to use.
    if (error instanceof RigError && error.reason === 'port-busy') {
      const probe = await probeApiVersions('127.0.0.1', port)
      const status = await brokerStatus({ port })
      if (probe.kind === 'kafka' && status.state === 'stopped') {
        log(`port ${port} already serves a Kafka broker the rig did not start; using it`)
        return { bootstrap: `127.0.0.1:${port}` }
      }
    }
    throw error
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await resolveCluster()
  process.env.KAFKA_BOOTSTRAP = cluster.bootstrap
  project.provide('kafkaBootstrap', cluster.bootstrap)
  return async () => {
    await cluster.stop?.()
  }
}
