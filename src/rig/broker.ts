/**
 * Starting, stopping and inspecting a local Apache Kafka cluster for development and tests: one or three
 * combined broker + controller nodes running from the jars {@link ensureKafkaJars} resolves.
 *
 * The JVMs are detached from the process that starts them, so `samsa broker start` can exit and leave the
 * cluster running; everything needed to find them again lives in the state directory. Each fresh start
 * formats empty storage: a rig cluster is disposable by design, and a test never sees a previous run's topics.
 */

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError } from '../common/errors.ts'
import { integerOption, rejectUnknownOptions } from '../common/validate.ts'
import { ensureKafkaJars } from './jars.ts'
import { javaExecutable } from './java.ts'
import { brokerLog4jConfig } from './log4j-config.ts'
import { defaultCacheDir, defaultStateDir } from './paths.ts'
import { type ProbeResult, probeApiVersions } from './probe.ts'
import { RigError } from './rig-error.ts'
import {
  isNodeProcessAlive,
  type RigRecord,
  type RigRecordNode,
  readRigRecord,
  removeRigRecord,
  rigHasSecurity,
  writeRigRecord,
} from './rig-record.ts'
import {
  describeSecurity,
  prepareCertificates,
  type RigSecurity,
  scramFormatArguments,
  securePorts,
  securityConfig,
} from './security.ts'
import { type ExtraConfig, planNodes, type RigNode, renderServerProperties } from './server-properties.ts'

const HOST = '127.0.0.1'
const DEFAULT_PORT = 9092

export interface StartBrokerOptions {
  /** 1 (default) or 3 combined broker + controller nodes; all nodes are KRaft voters. */
  nodes?: 1 | 3
  /** First broker port (default 9092). Node i listens on `port + 2i`, its controller on `port + 2i + 1`. */
  port?: number
  /** Where config, data, logs and the pid record go. Default `<cache>/brokers/<port>`. */
  stateDir?: string
  /** Root of the rig's cache (jars, default state dirs). Default `$SAMSA_CACHE_DIR` or `~/.cache/samsa`. */
  cacheDir?: string
  /** Maximum heap per node in MiB. Default 1024 for one node, 512 per node for three. */
  heapMb?: number
  /** Extra broker settings, overriding the rig's own (e.g. `{ 'log.retention.ms': 60000 }`). */
  extraConfig?: ExtraConfig
  /** How long to wait for every node to answer ApiVersions. Default 90 000 ms. */
  startTimeoutMs?: number
  /** Receives progress lines; defaults to stderr. */
  progress?: (line: string) => void
  /**
   * Also open a SASL_SSL listener (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER) and an SSL listener requiring
   * client certificates, with rig-made certificates and users; see {@link RigSecurity}. Default false.
   */
  security?: boolean
}

export interface RunningBroker {
  /** Comma-separated `host:port` list of every node's client listener. */
  bootstrap: string
  pids: number[]
  stateDir: string
  /** True when a cluster this rig had started earlier was already running and answering, and was kept. */
  reused: boolean
  nodes: RigRecordNode[]
  /** The secure listeners and the files and credentials to use them, when started with `security`. */
  security?: RigSecurity
}

export interface BrokerLocation {
  /** First broker port of the rig (default 9092). */
  port?: number
  /** State directory, when it was not the default for the port. */
  stateDir?: string
  cacheDir?: string
}

export interface StopBrokerOptions extends BrokerLocation {
  /** How long to wait after SIGTERM before SIGKILL. Default 20 000 ms. */
  gracefulTimeoutMs?: number
}

export interface StopBrokerResult {
  /** False when the record named no live process: nothing was stopped. */
  wasRunning: boolean
  /** Pids that received a signal. */
  stopped: number[]
  /** Pids that ignored SIGTERM for the whole grace period and were killed. */
  killed: number[]
}

export interface NodeStatus {
  nodeId: number
  pid: number
  brokerPort: number
  controllerPort: number
  alive: boolean
  answersApiVersions: boolean
}

export interface BrokerStatus {
  /** `running`: every recorded node alive and answering; `degraded`: some are not; `stopped`: none recorded. */
  state: 'running' | 'degraded' | 'stopped'
  bootstrap: string | undefined
  pids: number[]
  stateDir: string
  nodes: NodeStatus[]
}

const defaultProgress = (line: string) => process.stderr.write(`samsa: ${line}\n`)

function resolveStateDir(location: BrokerLocation): { port: number; stateDir: string } {
  const port = integerOption('port', location.port, DEFAULT_PORT, 1, 65_535)
  return {
    port,
    stateDir: location.stateDir ?? defaultStateDir(port, location.cacheDir ?? defaultCacheDir()),
  }
}

function bootstrapOf(nodes: readonly RigNode[]): string {
  return nodes.map((node) => `${HOST}:${node.brokerPort}`).join(',')
}

function logPathOf(node: RigNode): string {
  return join(node.dir, 'broker.log')
}

function logTail(node: RigNode, lines = 25): string {
  const path = logPathOf(node)
  if (!existsSync(path)) return '(no log written)'
  const text = readFileSync(path, 'utf8').trimEnd()
  return text === '' ? '(log is empty)' : text.split('\n').slice(-lines).join('\n')
}

/** A JVM's error output minus the `at …` stack frames, which say nothing to someone configuring a broker. */
function withoutStackFrames(output: string): string {
  return output
    .trimEnd()
    .split('\n')
    .filter((line) => !/^\s+at /.test(line) && !/^\s+\.\.\. \d+ more$/.test(line))
    .join('\n')
}

/** A Kafka cluster id: 16 random bytes in URL-safe base64, which is what `StorageTool random-uuid` prints. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    // Kafka rejects ids that would read as a command-line flag.
    if (!id.startsWith('-')) return id
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Every port a rig of `nodes` binds: each node's client and controller ports, then its secure pair. */
function rigPorts(nodes: readonly RigNode[], port: number, security: boolean): number[] {
  const plain = nodes.flatMap((node) => [node.brokerPort, node.controllerPort])
  if (!security) return plain
  const secure = nodes.flatMap((node) => {
    const { saslSsl, ssl } = securePorts(node, nodes.length, port)
    return [saslSsl, ssl]
  })
  return [...plain, ...secure]
}

async function assertPortsFree(ports: readonly number[]): Promise<void> {
  // Checked before anything is formatted or spawned: a JVM that dies binding its last listener leaves
  // only a log line behind, and a half-started rig is worse than none.
  for (const busy of ports) {
    if (await isPortFree(busy)) continue
    const probe = await probeApiVersions(HOST, busy, 1500)
    const what =
      probe.kind === 'kafka'
        ? `a Kafka broker this rig did not start (set KAFKA_BOOTSTRAP=${HOST}:${busy} to use it)`
        : 'another process'
    const first = ports[0] ?? busy
    throw new RigError(
      'port-busy',
      `port ${busy} is busy with ${what}; choose another port with --port (this rig on port ${first} uses ${first}..${Math.max(...ports)})`,
    )
  }
}

function runToCompletion(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, output }))
  })
}

function allAlive(record: RigRecord): boolean {
  return record.nodes.every((node) => isNodeProcessAlive(node))
}

async function probeAll(nodes: readonly RigNode[]): Promise<ProbeResult[]> {
  return Promise.all(nodes.map((node) => probeApiVersions(HOST, node.brokerPort)))
}

async function waitUntilReady(
  record: RigRecord,
  timeoutMs: number,
  onDeath: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const node of record.nodes) {
      if (!isNodeProcessAlive(node)) {
        await onDeath()
        throw new RigError(
          'startup-failed',
          `broker node ${node.nodeId} (pid ${node.pid}) exited during start-up; last lines of ${logPathOf(node)}:\n${logTail(node)}`,
        )
      }
    }
    const probes = await probeAll(record.nodes)
    if (probes.every((probe) => probe.kind === 'kafka')) return
    if (Date.now() >= deadline) {
      const waiting = record.nodes.filter((_, index) => probes[index]?.kind !== 'kafka')
      const first = waiting[0] ?? record.nodes[0]!
      await onDeath()
      throw new RigError(
        'startup-timeout',
        `broker node ${first.nodeId} did not answer ApiVersions on ${HOST}:${first.brokerPort} within ${timeoutMs} ms; last lines of ${logPathOf(first)}:\n${logTail(first)}`,
      )
    }
    await sleep(500)
  }
}

async function terminate(
  nodes: readonly RigRecordNode[],
  gracefulTimeoutMs: number,
): Promise<StopBrokerResult> {
  const live = nodes.filter((node) => isNodeProcessAlive(node))
  for (const node of live) {
    try {
      process.kill(node.pid, 'SIGTERM')
    } catch {
      // Exited between the check and the signal: that is what we wanted.
    }
  }
  const deadline = Date.now() + gracefulTimeoutMs
  while (Date.now() < deadline && live.some((node) => isNodeProcessAlive(node))) await sleep(200)
  const killed: number[] = []
  for (const node of live) {
    if (!isNodeProcessAlive(node)) continue
    try {
      process.kill(node.pid, 'SIGKILL')
      killed.push(node.pid)
    } catch {
      // Already gone.
    }
  }
  while (live.some((node) => isNodeProcessAlive(node))) await sleep(100)
  return { wasRunning: live.length > 0, stopped: live.map((node) => node.pid), killed }
}

function validateStartOptions(options: StartBrokerOptions): void {
  rejectUnknownOptions('startBroker', options, [
    'nodes',
    'port',
    'stateDir',
    'cacheDir',
    'heapMb',
    'extraConfig',
    'startTimeoutMs',
    'progress',
    'security',
  ])
  if (options.nodes !== undefined && options.nodes !== 1 && options.nodes !== 3) {
    throw new ConfigError('nodes', `expected 1 or 3, got ${String(options.nodes)}`)
  }
}

/**
 * Starts a local KRaft cluster and waits until every node answers ApiVersions, or reuses the one this rig
 * already runs on the same port and state directory.
 *
 * @throws RigError `java-missing`, `mvn-missing`, `download-failed`, `port-busy` (naming the first busy port),
 *   `rig-mismatch` (a rig with another node count or security mode runs there), `startup-failed` or
 *   `startup-timeout`; ConfigError for a bad option.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  validateStartOptions(options)
  const nodeCount = options.nodes ?? 1
  const security = options.security === true
  const { port, stateDir } = resolveStateDir(options)
  // Security mode adds two listeners per node after all the plain ports (see securePorts).
  const lastPort = port + (security ? 4 : 2) * nodeCount - 1
  if (lastPort > 65_535)
    throw new ConfigError('port', `a ${nodeCount}-node rig needs ports up to ${lastPort}`)
  const heapMb = integerOption('heapMb', options.heapMb, nodeCount === 1 ? 1024 : 512, 256)
  const timeoutMs = integerOption('startTimeoutMs', options.startTimeoutMs, 90_000, 1000)
  const progress = options.progress ?? defaultProgress

  const existing = readRigRecord(stateDir)
  if (existing !== undefined) {
    if (allAlive(existing)) {
      // Reusing a rig started differently would hand back listeners that do not exist (or hide ones that
      // do), so anything but an exact match is refused rather than quietly restarted under its owner.
      const runningSecurity = rigHasSecurity(existing)
      if (existing.nodes.length !== nodeCount || runningSecurity !== security) {
        const describe = (nodes: number, secure: boolean) =>
          `${nodes}-node rig ${secure ? 'with' : 'without'} security`
        throw new RigError(
          'rig-mismatch',
          `a ${describe(existing.nodes.length, runningSecurity)} is already running on port ${port}, but a ${describe(nodeCount, security)} was asked for; stop it first (samsa broker stop --port ${port})`,
        )
      }
      // Alive and ours: it is either serving or still starting (another process launched it); wait for it.
      await waitUntilReady(existing, timeoutMs, async () => {})
      return { ...summarize(existing, stateDir, security ? port : undefined), reused: true }
    }
    // Partly dead: a cluster missing a node is not what anyone asked for. Stop what is left and start over.
    progress(`the rig recorded in ${stateDir} is not fully running; restarting it`)
    await terminate(existing.nodes, 10_000)
    removeRigRecord(stateDir)
  }

  const nodes = planNodes(nodeCount, port, stateDir)
  await assertPortsFree(rigPorts(nodes, port, security))
  const jars = await ensureKafkaJars({ cacheDir: options.cacheDir ?? defaultCacheDir(), progress })
  const java = javaExecutable()

  mkdirSync(stateDir, { recursive: true })
  const brokerLog4j = join(stateDir, 'log4j2.properties')
  writeFileSync(brokerLog4j, brokerLog4jConfig())
  const clusterId = randomClusterId()
  if (security) prepareCertificates(stateDir)
  progress(`formatting ${nodeCount}-node KRaft storage in ${stateDir}`)
  await Promise.all(
    nodes.map(async (node) => {
      rmSync(join(node.dir, 'data'), { recursive: true, force: true })
      mkdirSync(node.dir, { recursive: true })
      const propertiesPath = join(node.dir, 'server.properties')
      const secureListeners = security ? securityConfig(node, nodes.length, port, stateDir) : {}
      writeFileSync(
        propertiesPath,
        renderServerProperties(node, nodes, { ...secureListeners, ...options.extraConfig }),
      )
      const format = await runToCompletion(
        java,
        [
          `-Dlog4j2.configurationFile=${jars.toolsLog4jConfig}`,
          '-cp',
          jars.classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          propertiesPath,
          ...(security ? scramFormatArguments() : []),
        ],
        node.dir,
      )
      if (format.code !== 0) {
        throw new RigError(
          'startup-failed',
          `formatting storage for node ${node.nodeId} failed (exit code ${format.code}):\n${withoutStackFrames(format.output)}`,
        )
      }
    }),
  )

  progress(`starting ${nodeCount === 1 ? 'the broker' : `${nodeCount} brokers`} on ${bootstrapOf(nodes)}`)
  const started: RigRecordNode[] = nodes.map((node) => ({
    ...node,
    pid: launchNode(node, { java, classpath: jars.classpath, heapMb, brokerLog4j, appendLog: false }),
  }))
  const record: RigRecord = {
    clusterId,
    bootstrap: bootstrapOf(nodes),
    nodes: started,
    startedAt: new Date().toISOString(),
    security,
  }
  writeRigRecord(stateDir, record)

  const startedAt = Date.now()
  await waitUntilReady(record, timeoutMs, async () => {
    await terminate(started, 5000)
    removeRigRecord(stateDir)
  })
  progress(
    `ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pids ${started.map((n) => n.pid).join(', ')})`,
  )
  return { ...summarize(record, stateDir, security ? port : undefined), reused: false }
}

interface LaunchSettings {
  java: string
  classpath: string
  heapMb: number
  brokerLog4j: string
  /** Keep the node's earlier log (a restart) instead of starting a new one. */
  appendLog: boolean
}

/** Spawns one node's JVM, detached, with its output in the node's broker.log; returns its pid. */
function launchNode(node: RigNode, settings: LaunchSettings): number {
  const log = openSync(logPathOf(node), settings.appendLog ? 'a' : 'w')
  try {
    const child = spawn(
      settings.java,
      [
        `-Xms${Math.min(512, settings.heapMb)}m`,
        `-Xmx${settings.heapMb}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${settings.brokerLog4j}`,
        `-Dkafka.logs.dir=${node.dir}`,
        '-cp',
        settings.classpath,
        'kafka.Kafka',
        join(node.dir, 'server.properties'),
      ],
      // Detached in its own process group with no pipe back to us, so the broker outlives the CLI.
      { cwd: node.dir, detached: true, stdio: ['ignore', log, log] },
    )
    child.unref()
    if (child.pid === undefined) throw new RigError('java-missing', `could not launch ${settings.java}`)
    return child.pid
  } finally {
    closeSync(log)
  }
}

export interface RestartNodeOptions extends BrokerLocation {
  /** The node to start again (1-based, as in the rig record). */
  nodeId: number
  /** How long to wait for it to answer ApiVersions. Default 90 000 ms. */
  startTimeoutMs?: number
}

/**
 * Starts one node of a running rig again, on its existing storage (nothing is formatted), after it died or
 * was killed: what fault-injection tests need to crash a broker and bring it back. Waits until the node
 * answers ApiVersions and returns its record with the new pid.
 *
 * @throws RigError `not-running` when no rig is recorded there or the node is still alive, `startup-failed`
 *   or `startup-timeout` as {@link startBroker}.
 */
export async function restartNode(options: RestartNodeOptions): Promise<RigRecordNode> {
  const { stateDir } = resolveStateDir(options)
  const record = readRigRecord(stateDir)
  const index = record?.nodes.findIndex((node) => node.nodeId === options.nodeId) ?? -1
  if (record === undefined || index < 0) {
    throw new RigError('not-running', `no rig node ${options.nodeId} is recorded in ${stateDir}`)
  }
  const node = record.nodes[index]!
  if (isNodeProcessAlive(node)) {
    throw new RigError('not-running', `rig node ${options.nodeId} (pid ${node.pid}) is still running`)
  }
  const jars = await ensureKafkaJars({ cacheDir: options.cacheDir ?? defaultCacheDir(), progress: () => {} })
  const pid = launchNode(node, {
    java: javaExecutable(),
    classpath: jars.classpath,
    heapMb: record.nodes.length === 1 ? 1024 : 512,
    brokerLog4j: join(stateDir, 'log4j2.properties'),
    appendLog: true,
  })
  const restarted: RigRecordNode = { ...node, pid }
  record.nodes[index] = restarted
  writeRigRecord(stateDir, record)
  const timeoutMs = integerOption('startTimeoutMs', options.startTimeoutMs, 90_000, 1000)
  await waitUntilReady({ ...record, nodes: [restarted] }, timeoutMs, async () => {})
  return restarted
}

function summarize(
  record: RigRecord,
  stateDir: string,
  securePort: number | undefined,
): Omit<RunningBroker, 'reused'> {
  return {
    bootstrap: record.bootstrap,
    pids: record.nodes.map((node) => node.pid),
    stateDir,
    nodes: record.nodes,
    ...(securePort === undefined ? {} : { security: describeSecurity(record.nodes, securePort, stateDir) }),
  }
}

/** Stops the nodes this rig recorded for `port` (SIGTERM, then SIGKILL after the grace period). */
export async function stopBroker(options: StopBrokerOptions = {}): Promise<StopBrokerResult> {
  const { stateDir } = resolveStateDir(options)
  const gracefulTimeoutMs = integerOption('gracefulTimeoutMs', options.gracefulTimeoutMs, 20_000, 0)
  const record = readRigRecord(stateDir)
  if (record === undefined) return { wasRunning: false, stopped: [], killed: [] }
  const result = await terminate(record.nodes, gracefulTimeoutMs)
  removeRigRecord(stateDir)
  return result
}

/** Reports whether the rig on `port` is running and whether each node answers ApiVersions. */
export async function brokerStatus(options: BrokerLocation = {}): Promise<BrokerStatus> {
  const { stateDir } = resolveStateDir(options)
  const record = readRigRecord(stateDir)
  if (record === undefined) return { state: 'stopped', bootstrap: undefined, pids: [], stateDir, nodes: [] }
  const nodes: NodeStatus[] = await Promise.all(
    record.nodes.map(async (node) => {
      const alive = isNodeProcessAlive(node)
      const answers = alive && (await probeApiVersions(HOST, node.brokerPort)).kind === 'kafka'
      return {
        nodeId: node.nodeId,
        pid: node.pid,
        brokerPort: node.brokerPort,
        controllerPort: node.controllerPort,
        alive,
        answersApiVersions: answers,
      }
    }),
  )
  const up = nodes.filter((node) => node.alive && node.answersApiVersions).length
  const state = up === nodes.length ? 'running' : nodes.some((node) => node.alive) ? 'degraded' : 'stopped'
  return { state, bootstrap: record.bootstrap, pids: record.nodes.map((node) => node.pid), stateDir, nodes }
}

/**
 * Checks that an externally provided cluster (`KAFKA_BOOTSTRAP`) answers ApiVersions on at least one of its
 * addresses; the rig never starts anything in that case.
 *
 * @throws RigError `unreachable` naming every address tried.
 */
export async function checkExternalCluster(bootstrap: string): Promise<void> {
  const addresses = bootstrap
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '')
  if (addresses.length === 0) throw new ConfigError('KAFKA_BOOTSTRAP', 'expected host:port[,host:port...]')
  const failures: string[] = []
  for (const address of addresses) {
    const colon = address.lastIndexOf(':')
    const port = Number(address.slice(colon + 1))
    if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new ConfigError('KAFKA_BOOTSTRAP', `${JSON.stringify(address)} is not host:port`)
    }
    const probe = await probeApiVersions(address.slice(0, colon).replace(/^\[|\]$/g, ''), port)
    if (probe.kind === 'kafka') return
    failures.push(
      `${address} (${probe.kind === 'closed' ? 'connection refused or timed out' : probe.detail})`,
    )
  }
  throw new RigError('unreachable', `no broker in KAFKA_BOOTSTRAP answered: ${failures.join('; ')}`)
}
