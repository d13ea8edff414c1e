/**
 * Apache Kafka's own command-line tools, driven from tests. They are the reference implementation: when a
 * samsa producer writes records, the Java console consumer reading them back is the independent witness,
 * and when samsa commits offsets, the Java group command is what reports them.
 *
 * Each helper runs one JVM from the rig's classpath (see {@link ensureKafkaJars}) with quiet logging, parses
 * its stdout, and throws with the tool's stderr when it exits non-zero.
 */

import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process'
import { KafkaError, TimeoutError } from '../common/errors.ts'
import { ensureKafkaJars } from '../rig/jars.ts'
import { javaExecutable } from '../rig/java.ts'

export interface RunJavaToolOptions {
  /** Written to the tool's stdin, which is then closed. Without it stdin is closed at once. */
  input?: string | Buffer
  /** Kills the JVM and rejects with {@link TimeoutError} after this long. Default 60 000 ms. */
  timeoutMs?: number
  /** Added to the inherited environment. */
  env?: Record<string, string>
  /** Extra JVM flags, placed before the main class. A `-XX:+Use…GC` flag replaces the default serial collector. */
  jvmOptions?: string[]
}

export interface JavaToolResult {
  stdout: string
  stderr: string
  /** The exit code; tools exit 0 on success. */
  code: number
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/** Runs `mainClass` with `args` on the Kafka classpath and collects its output. Never throws for an exit code. */
export async function runJavaTool(
  mainClass: string,
  args: readonly string[],
  options: RunJavaToolOptions = {},
): Promise<JavaToolResult> {
  const jars = await ensureKafkaJars()
  const java = javaExecutable()
  const timeoutMs = options.timeoutMs ?? 60_000
  const extraJvmOptions = options.jvmOptions ?? []
  // Short-lived tools start fastest with the serial collector, unless the caller picked a collector.
  const collector = extraJvmOptions.some((option) => /^-XX:\+Use\w+GC$/.test(option))
    ? []
    : ['-XX:+UseSerialGC']
  const jvmArgs = [
    '-Xmx512m',
    ...collector,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${jars.toolsLog4jConfig}`,
    ...extraJvmOptions,
    '-cp',
    jars.classpath,
    mainClass,
    ...args,
  ]
  return new Promise((resolve, reject) => {
    const child = spawn(java, jvmArgs, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    // A tool that exits before reading its input closes the pipe; that is the tool's business, not an error.
    child.stdin.on('error', () => {})
    child.stdin.end(options.input)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code: code ?? -1,
      }
      if (timedOut) {
        reject(
          new TimeoutError(
            `${mainClass} did not finish within ${timeoutMs} ms; stderr:\n${tail(result.stderr)}\nstdout:\n${tail(result.stdout)}`,
          ),
        )
      } else resolve(result)
    })
  })
}

/**
 * Starts `mainClass` with `args` as a long-running process (a console consumer in a group, say) and returns
 * it at once; the caller reads its output and ends it. A smaller heap than {@link runJavaTool}'s, since
 * several may run beside the broker.
 */
export async function spawnJavaTool(
  mainClass: string,
  args: readonly string[],
  stdio: StdioOptions,
): Promise<ChildProcess> {
  const jars = await ensureKafkaJars()
  return spawn(
    javaExecutable(),
    [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      `-Dlog4j2.configurationFile=${jars.toolsLog4jConfig}`,
      '-cp',
      jars.classpath,
      mainClass,
      ...args,
    ],
    { stdio },
  )
}

/** Runs a tool and throws when it exits non-zero, quoting its stderr. */
async function runOrThrow(
  mainClass: string,
  args: readonly string[],
  options: RunJavaToolOptions = {},
): Promise<JavaToolResult> {
  const result = await runJavaTool(mainClass, args, options)
  if (result.code !== 0) {
    const shortName = mainClass.slice(mainClass.lastIndexOf('.') + 1)
    throw new KafkaError(
      `${shortName} exited with code ${result.code}:\n${tail(result.stderr || result.stdout)}`,
      result.code,
    )
  }
  return result
}

function propertyArgs(flag: string, properties: Record<string, string | number | boolean> = {}): string[] {
  return Object.entries(properties).flatMap(([key, value]) => [flag, `${key}=${String(value)}`])
}

export interface CreateTopicWithJavaOptions {
  bootstrap: string
  topic: string
  partitions: number
  /** Default 1. */
  replicationFactor?: number
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string | number>
}

/**
 * Creates a topic with `kafka-topics.sh`'s main class, for tests whose subject must not also be the tool that
 * set the topic up (consumer tests, the rig's own checks).
 */
export async function createTopicWithJava(options: CreateTopicWithJavaOptions): Promise<void> {
  await runOrThrow('org.apache.kafka.tools.TopicCommand', [
    '--bootstrap-server',
    options.bootstrap,
    '--create',
    '--topic',
    options.topic,
    '--partitions',
    String(options.partitions),
    '--replication-factor',
    String(options.replicationFactor ?? 1),
    ...propertyArgs('--config', options.config),
  ])
}

/**
 * Control characters as the console consumer's separators, so keys and values containing tabs, pipes,
 * commas or newlines still split unambiguously.
 */
const FIELD_SEPARATOR = '\u001f'
const RECORD_SEPARATOR = '\u001e'
const HEADER_SEPARATOR = '\u001d'
// The formatter's separator between a header's key and value is fixed; header keys must not contain it.
const HEADER_KEY_SEPARATOR = ':'
/** What the formatter prints for a null key, value or header value. */
const NULL_LITERAL = '\u0018'

export interface ConsoleConsumerOptions {
  bootstrap: string
  topic: string
  /** Stop after this many records. */
  maxMessages: number
  /** Start from the earliest offset rather than the end. Default true. */
  fromBeginning?: boolean
  /** Consumer group id; default none (the tool then commits nothing). */
  group?: string
  /** Read only this partition. */
  partition?: number
  /** Consumer configs, e.g. `{ 'isolation.level': 'read_committed' }`. */
  properties?: Record<string, string | number | boolean>
  /** Give up when no record arrives for this long. Default 20 000 ms. */
  idleTimeoutMs?: number
}

/** One record as the Java console consumer printed it. Keys and values are decoded as UTF-8. */
export interface ConsumedRecord {
  partition: number
  offset: bigint
  timestamp: bigint
  timestampType: 'CreateTime' | 'LogAppendTime'
  key: string | null
  value: string | null
  headers: { key: string; value: string | null }[]
}

function parseHeaders(field: string): ConsumedRecord['headers'] {
  if (field === 'NO_HEADERS') return []
  return field.split(HEADER_SEPARATOR).map((header) => {
    const at = header.indexOf(HEADER_KEY_SEPARATOR)
    const key = at < 0 ? header : header.slice(0, at)
    const value = at < 0 ? '' : header.slice(at + 1)
    return { key, value: value === NULL_LITERAL ? null : value }
  })
}

function parseConsumedRecord(line: string): ConsumedRecord {
  // The formatter prints timestamp, partition, offset, headers, key and value, in that order.
  const fields = line.split(FIELD_SEPARATOR)
  if (fields.length !== 6) throw new Error(`unexpected console consumer line: ${JSON.stringify(line)}`)
  const [timestamp, partition, offset, headers, key, value] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ]
  const [timestampType, timestampValue] = timestamp.split(':') as [string, string]
  return {
    partition: Number(partition.slice('Partition:'.length)),
    offset: BigInt(offset.slice('Offset:'.length)),
    timestamp: BigInt(timestampValue),
    timestampType: timestampType === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    key: key === NULL_LITERAL ? null : key,
    value: value === NULL_LITERAL ? null : value,
    headers: parseHeaders(headers),
  }
}

/**
 * Reads up to `maxMessages` records with the Java console consumer, in the order it printed them
 * (per-partition order is preserved; order across partitions is the tool's). Returns fewer when the topic
 * goes idle for `idleTimeoutMs`.
 */
export async function consoleConsumer(options: ConsoleConsumerOptions): Promise<ConsumedRecord[]> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 20_000
  const formatter: Record<string, string> = {
    'print.timestamp': 'true',
    'print.partition': 'true',
    'print.offset': 'true',
    'print.headers': 'true',
    'print.key': 'true',
    'print.value': 'true',
    'key.separator': FIELD_SEPARATOR,
    'line.separator': RECORD_SEPARATOR,
    'headers.separator': HEADER_SEPARATOR,
    'null.literal': NULL_LITERAL,
  }
  const args = [
    '--bootstrap-server',
    options.bootstrap,
    '--topic',
    options.topic,
    '--max-messages',
    String(options.maxMessages),
    '--timeout-ms',
    String(idleTimeoutMs),
    ...(options.fromBeginning === false ? [] : ['--from-beginning']),
    ...(options.group === undefined ? [] : ['--group', options.group]),
    ...(options.partition === undefined ? [] : ['--partition', String(options.partition)]),
    ...propertyArgs('--formatter-property', formatter),
    ...propertyArgs('--command-property', options.properties),
  ]
  // With --timeout-ms the tool exits non-zero when it gives up idle; what it printed until then still counts.
  const result = await runJavaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', args, {
    timeoutMs: idleTimeoutMs + 60_000,
  })
  const records = result.stdout
    .split(RECORD_SEPARATOR)
    .filter((line) => line !== '' && line !== '\n')
    .map((line) => parseConsumedRecord(line.replace(/^\n/, '')))
  const timedOut = /TimeoutException/.test(result.stderr)
  if (result.code !== 0 && !timedOut) {
    throw new KafkaError(
      `ConsoleConsumer exited with code ${result.code}:\n${tail(result.stderr)}`,
      result.code,
    )
  }
  return records
}

export interface GetOffsetShellOptions {
  bootstrap: string
  topic: string
  /** `-1` latest (default), `-2` earliest, `-3` max timestamp, or a timestamp in ms. */
  time?: number | bigint
}

/** Each partition's offset at `time` (by default the log-end offset), from `GetOffsetShell`. */
export async function getOffsetShell(options: GetOffsetShellOptions): Promise<Map<number, bigint>> {
  const result = await runOrThrow('org.apache.kafka.tools.GetOffsetShell', [
    '--bootstrap-server',
    options.bootstrap,
    '--topic',
    options.topic,
    '--time',
    String(options.time ?? -1),
  ])
  const offsets = new Map<number, bigint>()
  for (const line of result.stdout.split('\n')) {
    // topic:partition:offset; topic names cannot contain ':', so split from the right is unambiguous.
    const match = /^(.+):(\d+):(-?\d*)$/.exec(line.trim())
    if (match === null) continue
    if (match[1] !== options.topic) continue
    offsets.set(Number(match[2]), BigInt(match[3] === '' ? -1 : match[3]!))
  }
  return offsets
}

export interface ProducerPerformanceOptions {
  bootstrap: string
  topic: string
  numRecords: number
  recordSize: number
  /** Records per second; -1 (default) for unthrottled. */
  throughput?: number
  /** Producer configs, e.g. `{ acks: 'all', 'compression.type': 'lz4' }`. */
  producerProps?: Record<string, string | number | boolean>
  timeoutMs?: number
}

/** The final summary line of `ProducerPerformance`. */
export interface ProducerPerformanceSummary {
  records: number
  recordsPerSec: number
  mbPerSec: number
  avgLatencyMs: number
  maxLatencyMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  p999Ms: number
}

const SUMMARY_PATTERN =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/

/** Runs the Java producer benchmark against `topic` and returns its final summary. */
export async function producerPerformance(
  options: ProducerPerformanceOptions,
): Promise<ProducerPerformanceSummary> {
  const props = { 'bootstrap.servers': options.bootstrap, ...options.producerProps }
  const result = await runOrThrow(
    'org.apache.kafka.tools.ProducerPerformance',
    [
      '--topic',
      options.topic,
      '--num-records',
      String(options.numRecords),
      '--record-size',
      String(options.recordSize),
      '--throughput',
      String(options.throughput ?? -1),
      '--command-property',
      ...Object.entries(props).map(([key, value]) => `${key}=${String(value)}`),
    ],
    { timeoutMs: options.timeoutMs ?? 300_000, jvmOptions: ['-XX:+UseG1GC'] },
  )
  const match = SUMMARY_PATTERN.exec(result.stdout)
  if (match === null) {
    throw new KafkaError(
      `ProducerPerformance printed no summary:\n${tail(result.stdout)}\n${tail(result.stderr)}`,
      0,
    )
  }
  const n = (index: number) => Number(match[index])
  return {
    records: n(1),
    recordsPerSec: n(2),
    mbPerSec: n(3),
    avgLatencyMs: n(4),
    maxLatencyMs: n(5),
    p50Ms: n(6),
    p95Ms: n(7),
    p99Ms: n(8),
    p999Ms: n(9),
  }
}

export interface ConsumerGroupDescribeOptions {
  bootstrap: string
  group: string
}

/** One partition row of `kafka-consumer-groups.sh --describe`; `null` where the tool printed `-`. */
export interface ConsumerGroupPartitionRow {
  topic: string
  partition: number
  currentOffset: bigint | null
  logEndOffset: bigint | null
  lag: bigint | null
  consumerId: string | null
  host: string | null
  clientId: string | null
}

/**
 * The group's committed offsets, log-end offsets and lag per partition, as the Java group command sees
 * them. An empty array when the group has no offsets; throws when the group does not exist.
 */
export async function consumerGroupDescribe(
  options: ConsumerGroupDescribeOptions,
): Promise<ConsumerGroupPartitionRow[]> {
  const result = await runOrThrow('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [
    '--bootstrap-server',
    options.bootstrap,
    '--describe',
    '--group',
    options.group,
  ])
  if (/does not exist/.test(result.stdout + result.stderr)) {
    throw new KafkaError(`consumer group ${options.group} does not exist`, 69)
  }
  const orNull = (value: string | undefined) => (value === undefined || value === '-' ? null : value)
  const bigOrNull = (value: string | undefined) => {
    const text = orNull(value)
    return text === null ? null : BigInt(text)
  }
  const rows: ConsumerGroupPartitionRow[] = []
  for (const line of result.stdout.split('\n')) {
    const columns = line.trim().split(/\s+/)
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    if (columns.length < 9 || columns[0] !== options.group || !/^\d+$/.test(columns[2] ?? '')) continue
    rows.push({
      topic: columns[1]!,
      partition: Number(columns[2]),
      currentOffset: bigOrNull(columns[3]),
      logEndOffset: bigOrNull(columns[4]),
      lag: bigOrNull(columns[5]),
      consumerId: orNull(columns[6]),
      host: orNull(columns[7]),
      clientId: orNull(columns.slice(8).join(' ')),
    })
  }
  return rows
}
