/**
 * The Java client, through Apache Kafka's own performance tools from the rig's jars: ProducerPerformance,
 * ConsumerPerformance and, for the share-group case, ShareConsumerPerformance. They run with the JVM settings of Kafka's kafka-run-class.sh (G1, 256 MiB heap), as
 * users run them. Runs in the runner process (no Node adapter); peak RSS comes from /proc.
 */

import { ensureKafkaJars, javaExecutable, KAFKA_VERSION } from '../../src/rig/index.ts'
import type { BenchClient, ClientOutcome } from '../lib/client.ts'
import { spawnMeasured } from '../lib/spawn-measured.ts'
import type { BenchTask, ConsumeTask, ProduceTask, Settings } from '../lib/task.ts'

const jvmOptions = [
  '-Xmx256M',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-Djava.awt.headless=true',
]

async function runTool(mainClass: string, args: string[], timeoutMs: number) {
  const jars = await ensureKafkaJars()
  const run = await spawnMeasured(
    javaExecutable(),
    [
      ...jvmOptions,
      `-Dlog4j2.configurationFile=${jars.toolsLog4jConfig}`,
      '-cp',
      jars.classpath,
      `org.apache.kafka.tools.${mainClass}`,
      ...args,
    ],
    { timeoutMs },
  )
  if (run.code !== 0) {
    throw new Error(
      `${mainClass} exited with ${run.code}:\n${(run.stderr || run.stdout).trimEnd().slice(-1500)}`,
    )
  }
  return run
}

async function produce(task: ProduceTask, timeoutMs: number): Promise<ClientOutcome> {
  const producerSettings: Settings = { acks: 'all', 'linger.ms': 10, 'batch.size': task.batchBytes }
  const props = Object.entries(producerSettings).map(([key, value]) => `${key}=${value}`)
  const run = await runTool(
    'ProducerPerformance',
    [
      '--topic',
      task.topic,
      '--num-records',
      String(task.messages),
      '--record-size',
      String(task.sizeBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${task.bootstrap}`,
      ...props,
    ],
    timeoutMs,
  )
  // The summary line: "N records sent, R records/sec (M MB/sec), ..."; the tool times from its first send
  // to the last acknowledgement, as the Node adapters do.
  const match = /(\d+) records sent, ([\d.]+) records\/sec/.exec(run.stdout)
  if (!match) throw new Error(`ProducerPerformance printed no summary:\n${run.stdout.slice(-800)}`)
  const messages = Number(match[1])
  const perSec = Number(match[2])
  return {
    kind: 'measured',
    report: {
      client: 'java',
      version: KAFKA_VERSION,
      elapsedMs: (messages / perSec) * 1000,
      messages,
      bytes: messages * task.sizeBytes,
      p50Ms: null,
      p99Ms: null,
      p999Ms: null,
      peakRssMb: run.peakRssMb,
      settings: { ...producerSettings, 'enable.idempotence': 'default (true)', tool: 'ProducerPerformance' },
    },
  }
}

async function consume(task: ConsumeTask, timeoutMs: number): Promise<ClientOutcome> {
  if (task.commit === 'batch' || task.commit === 'message') {
    return { kind: 'unsupported', reason: 'ConsumerPerformance has no per-batch or per-message commit mode' }
  }
  const autoCommit = task.commit === 'auto'
  const run = await runTool(
    'ConsumerPerformance',
    [
      '--bootstrap-server',
      task.bootstrap,
      '--topic',
      task.topic,
      '--group',
      task.group,
      '--num-records',
      String(task.messages),
      '--timeout',
      String(timeoutMs),
      '--command-property',
      `enable.auto.commit=${autoCommit}`,
    ],
    timeoutMs + 5000,
  )
  // CSV after a header: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, ...
  // fetch.time.ms excludes joining the group, as the Node adapters' clocks start at the first record.
  const line = run.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((candidate) => /^\d{4}-/.test(candidate))
  const fields = line?.split(',').map((field) => field.trim())
  if (fields === undefined || fields.length < 8) {
    throw new Error(`ConsumerPerformance printed no result line:\n${run.stdout.slice(-800)}`)
  }
  const messages = Number(fields[4])
  return {
    kind: 'measured',
    report: {
      client: 'java',
      version: KAFKA_VERSION,
      elapsedMs: Number(fields[7]),
      messages,
      bytes: Number(fields[2]) * 1024 * 1024,
      p50Ms: null,
      p99Ms: null,
      p999Ms: null,
      peakRssMb: run.peakRssMb,
      settings: {
        'enable.auto.commit': autoCommit,
        mode: 'subscribe (classic group)',
        tool: 'ConsumerPerformance',
      },
    },
  }
}

/** "2026-12-05 08:39:08:901" (ShareConsumerPerformance's default date format) in ms since the epoch, local time. */
function toolTime(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}):(\d{3})$/.exec(text.trim())
  if (!match) throw new Error(`unexpected time "${text}" in ShareConsumerPerformance output`)
  const [, y, mo, d, h, mi, s, ms] = match.map(Number) as number[]
  return new Date(y!, mo! - 1, d!, h!, mi!, s!, ms!).getTime()
}

/**
 * The share-group case with ShareConsumerPerformance (one member, implicit acknowledgement). Its summary
 * times from start-up, joining included, so it runs with per-second detailed stats: the clock starts at the
 * end of the first interval that delivered records and, as for the Node adapters, the records delivered by
 * then are left out of the rate (see consumeElapsedMs).
 */
async function shareConsume(task: ConsumeTask, timeoutMs: number): Promise<ClientOutcome> {
  const run = await runTool(
    'ShareConsumerPerformance',
    [
      '--bootstrap-server',
      task.bootstrap,
      '--topic',
      task.topic,
      '--group',
      task.group,
      '--num-records',
      String(task.messages),
      '--timeout',
      String(timeoutMs),
      '--show-detailed-stats',
      '--reporting-interval',
      '1000',
    ],
    timeoutMs + 5000,
  )
  // Lines: start.time, end.time, MB, MB.sec, nMsg.sec, nMsg (cumulative), fetch.time.ms [for share consumer N]
  const rows = run.stdout
    .trim()
    .split('\n')
    .filter((line) => /^\d{4}-/.test(line))
    .map((line) => line.split(',').map((field) => field.trim()))
  const firstDelivery = rows.find((fields) => Number(fields[5]) > 0)
  const last = rows.at(-1)
  if (firstDelivery === undefined || last === undefined || last.length < 7) {
    throw new Error(`ShareConsumerPerformance printed no result lines:\n${run.stdout.slice(-800)}`)
  }
  const messages = Number(last[5])
  const spanMs = toolTime(last[1]!) - toolTime(firstDelivery[1]!)
  const delivered = Number(firstDelivery[5])
  const after = messages - delivered
  return {
    kind: 'measured',
    report: {
      client: 'java',
      version: KAFKA_VERSION,
      elapsedMs: after > 0 && spanMs > 0 ? (spanMs * messages) / after : spanMs,
      messages,
      bytes: Number(last[2]) * 1024 * 1024,
      p50Ms: null,
      p99Ms: null,
      p999Ms: null,
      peakRssMb: run.peakRssMb,
      settings: {
        'share.acknowledgement.mode': 'implicit (default)',
        mode: 'share group (KIP-932), one member',
        tool: 'ShareConsumerPerformance',
      },
    },
  }
}

export const javaClient: BenchClient = {
  name: 'java',
  unavailable: async () => {
    try {
      await ensureKafkaJars()
      return null
    } catch (error) {
      return `the rig's Kafka jars or java are missing: ${(error as Error).message.split('\n')[0]}`
    }
  },
  run: async (task: BenchTask, timeoutMs: number) => {
    if (task.kind === 'produce') return produce(task, timeoutMs)
    if (task.kind === 'consume' && task.share === true) return shareConsume(task, timeoutMs)
    if (task.kind === 'consume') return consume(task, timeoutMs)
    if (task.kind === 'rebalance') {
      return {
        kind: 'unsupported',
        reason: 'ConsumerPerformance runs a single member; no two-member scenario',
      }
    }
    return {
      kind: 'unsupported',
      reason:
        'the Java tools have no fixed-rate end-to-end mode (EndToEndLatency sends one record at a time)',
    }
  },
}
