/**
 * `samsa broker start|stop|status`: a local Apache Kafka cluster for trying samsa out and for its tests.
 * Progress goes to stderr; stdout carries only results, and `start` ends it with the bootstrap address so
 * scripts can do `BOOTSTRAP=$(samsa broker start | tail -n 1)`.
 *
 * `start --embedded` runs samsa's own in-process broker (src/broker) instead: no Java, no download, up in
 * milliseconds. It lives in this process, so the command stays in the foreground until SIGINT or SIGTERM;
 * its first stdout line is the bootstrap address.
 */

import { type Command, InvalidArgumentError, Option } from 'commander'
import { BrokerServer } from '../../broker/broker-server.ts'
import { brokerStatus, checkExternalCluster, startBroker, stopBroker } from '../../rig/index.ts'
import type { RegisterCommand } from '../command-module.ts'
import { parsePort } from '../options.ts'

const progress = (line: string) => process.stderr.write(`samsa: ${line}\n`)

function externalBootstrap(): string | undefined {
  const value = process.env.KAFKA_BOOTSTRAP?.trim()
  return value === undefined || value === '' ? undefined : value
}

function portOption(): Option {
  return new Option(
    '-p, --port <port>',
    'first broker port; a rig on P uses ports P to P+1 (P+5 for 3 nodes)',
  )
    .argParser(parsePort)
    .default(9092)
}

function parseNodes(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 16) {
    throw new InvalidArgumentError(`expected a node count from 1 to 16, got ${JSON.stringify(value)}`)
  }
  return value
}

/** Serves the in-process broker until a signal; nodes take ports `port` to `port + nodes - 1`. */
async function runEmbedded(nodes: number, port: number): Promise<void> {
  const server = await BrokerServer.start({ nodes, port, autoCreateTopics: true })
  progress(
    `in-process broker (${nodes} node${nodes === 1 ? '' : 's'}, no JVM) on ${server.bootstrap}; Ctrl-C stops it`,
  )
  process.stdout.write(`${server.bootstrap}\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await server.close()
  progress('in-process broker stopped')
}

export const registerBrokerCommand: RegisterCommand = (program: Command) => {
  const broker = program
    .command('broker')
    .description('run a local Apache Kafka 4.3.1 cluster (KRaft) for development and tests')

  broker
    .command('start')
    .description('start a local cluster, or reuse the one already running on the port; prints its bootstrap')
    .addOption(
      new Option('-n, --nodes <count>', 'number of nodes: 1 or 3 for the JVM cluster, 1-16 embedded')
        .argParser(parseNodes)
        .default('1'),
    )
    .addOption(portOption())
    .option('--state-dir <dir>', 'where config, data and logs go (default <cache>/brokers/<port>)')
    .option('--security', 'also open SASL_SSL and mutual-TLS listeners with rig-made certificates and users')
    .option(
      '--embedded',
      "samsa's in-process broker instead of the JVM cluster (no Java); runs in the foreground until Ctrl-C",
    )
    .action(
      async (options: {
        nodes: string
        port: number
        stateDir?: string
        security?: boolean
        embedded?: boolean
      }) => {
        if (options.embedded === true) {
          await runEmbedded(Number(options.nodes), options.port)
          return
        }
        if (options.nodes !== '1' && options.nodes !== '3') {
          throw new InvalidArgumentError(`the JVM cluster runs 1 or 3 nodes, not ${options.nodes}`)
        }
        const external = externalBootstrap()
        if (external !== undefined) {
          await checkExternalCluster(external)
          progress(`KAFKA_BOOTSTRAP is set; using that cluster and starting nothing`)
          process.stdout.write(`${external}\n`)
          return
        }
        const running = await startBroker({
          nodes: options.nodes === '3' ? 3 : 1,
          port: options.port,
          ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
          ...(options.security === true ? { security: true } : {}),
          progress,
        })
        if (running.reused) progress(`already running (pid ${running.pids.join(', ')}); reusing it`)
        const security = running.security
        if (security !== undefined) {
          progress(`SASL_SSL on ${security.saslSslBootstrap}, mutual TLS on ${security.sslBootstrap}`)
          progress(
            `CA ${security.caFile}; SASL user ${security.username} (its password is RIG_SASL_PASSWORD in src/rig/security.ts)`,
          )
          progress(
            `e.g. SAMSA_TLS_CA=${security.caFile} SAMSA_SASL_MECHANISM=scram-sha-256 SAMSA_SASL_USERNAME=${security.username} ` +
              `SAMSA_SASL_PASSWORD=… samsa topics list --bootstrap ${security.saslSslBootstrap}`,
          )
        }
        process.stdout.write(`${running.bootstrap}\n`)
      },
    )

  broker
    .command('stop')
    .description('stop the cluster this rig started on the port (never anything else)')
    .addOption(portOption())
    .option('--state-dir <dir>', 'the state directory given to start, if not the default')
    .action(async (options: { port: number; stateDir?: string }) => {
      const result = await stopBroker({
        port: options.port,
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      })
      if (!result.wasRunning) {
        process.stdout.write(`no rig broker was running on port ${options.port}\n`)
        return
      }
      const killed =
        result.killed.length > 0 ? ` (killed ${result.killed.join(', ')} after the grace period)` : ''
      process.stdout.write(`stopped pid ${result.stopped.join(', ')}${killed}\n`)
    })

  broker
    .command('status')
    .description('show whether the cluster on the port is running and answering')
    .addOption(portOption())
    .option('--state-dir <dir>', 'the state directory given to start, if not the default')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { port: number; stateDir?: string; format: string }) => {
      const status = await brokerStatus({
        port: options.port,
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      })
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
        return
      }
      if (status.state === 'stopped') {
        process.stdout.write(`stopped (no rig broker on port ${options.port})\n`)
        return
      }
      process.stdout.write(`${status.state} ${status.bootstrap ?? ''}\n`)
      for (const node of status.nodes) {
        const health = !node.alive
          ? 'not running'
          : node.answersApiVersions
            ? 'answers ApiVersions'
            : 'not answering'
        process.stdout.write(`  node ${node.nodeId}: pid ${node.pid}, port ${node.brokerPort}, ${health}\n`)
      }
    })
}
