/**
 * `npm run bench`: samsa and its peers side by side against one broker. For every case × client × run it
 * creates fresh topics (or a fresh group over a shared backlog), runs the client in its own process, and
 * folds the runs into median/min/max rows. Writes bench/results/<date>.json and latest.json, a Markdown
 * table (latest.md) and a chart (latest.svg).
 *
 * The measured runs of a case go round the clients in rotating order after one untimed warm-up run each
 * (bench/lib/schedule.ts). `npm run bench -- --help` lists the flags.
 */

import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Admin } from '../src/admin/admin.ts'
import { Cluster } from '../src/cluster/cluster.ts'
import { Producer } from '../src/producer/producer.ts'
import { startBroker } from '../src/rig/index.ts'
import { uniqueName } from '../src/testing/kafka-bootstrap.ts'
import { javaClient } from './clients/java.ts'
import { kcatClient } from './clients/kcat.ts'
import {
  type BenchCase,
  buildCases,
  buildScalingCases,
  SCALING_PARTITIONS,
  SCALING_SIZES,
  sizeLabel,
} from './lib/cases.ts'
import { renderChart } from './lib/chart.ts'
import { type BenchClient, CPU_PROFILE_DIR_VARIABLE, nodeClient } from './lib/client.ts'
import { makeValue } from './lib/payload.ts'
import { confluentUnavailable, npmPeerUnavailable } from './lib/peers.ts'
import { markdownTable, type ResultRow, settingsList, summarize, unmeasured } from './lib/results.ts'
import { backlogSeconds, forecastCaseSeconds, formatDuration, runOrder } from './lib/schedule.ts'
import type { BenchTask, ChildReport } from './lib/task.ts'
import { sendInChunks } from './lib/windowed.ts'

const allClients: BenchClient[] = [
  nodeClient('samsa', 'samsa.ts'),
  nodeClient('kafkajs', 'kafkajs.ts'),
  nodeClient('platformatic', 'platformatic.ts'),
  nodeClient('confluent', 'confluent.ts', confluentUnavailable),
  nodeClient('kafka-ts', 'kafka-ts.ts', () => npmPeerUnavailable('kafka-ts')),
  nodeClient('kafkats', 'kafkats.ts', () => npmPeerUnavailable('@kafkats/client')),
  javaClient,
  kcatClient,
]

/** Peers the scaling cases compare samsa with when the run has no produce-100B / consume-100B rows to rank. */
const defaultScalingPeers = ['kcat', 'java']

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`)
  }
  return parsed
}

const usage = `Usage: npm run bench -- [options]

Runs every case for every client side by side against one broker (the project's own, or KAFKA_BOOTSTRAP)
and writes bench/results/<date>.json, latest.json, latest.md (table) and latest.svg (chart). Within each
case, every client makes one untimed warm-up run, then the measured runs go round the clients in an order
that rotates from one repetition to the next. It prints a forecast of its duration first.

  --messages N             100 B records in the produce/consume and commit-policy cases (1000000)
  --large-messages N       1 KiB records in the large produce case (messages / 5)
  --commit-messages N      records in the commit-after-every-message case (min(20000, messages))
  --partitions N           partitions per topic (6)
  --batch-bytes N          bytes per partition in one produce request, for every client (262144)
  --runs N                 measured runs per figure; the median is reported with min-max (3)
  --rebalance-runs N       measured runs of each rebalance case (1: each takes ~15 s per client)
  --rate N                 messages per second in the latency case (10000)
  --latency-seconds N      length of the latency case (10)
  --rebalance-window-ms N  how long the rebalance cases watch for pauses (8000)
  --clients a,b            only these clients (${allClients.map((client) => client.name).join(', ')})
  --cases a,b              only these cases (e.g. produce-100B, consume-commit-batch)
  --no-warmup              skip the warm-up runs
  --scaling                also the scaling cases: throughput against partitions (${SCALING_PARTITIONS.join(', ')})
                           and record size (${SCALING_SIZES.map(sizeLabel).join(', ')}), peak RSS against
                           backlog size; samsa and the two best peers of this run's 100 B cases
  --scaling-only           only the scaling cases
  --scaling-runs N         runs per scaling figure (1)
  --scaling-clients a,b    clients of the scaling cases (samsa and the two best peers)
  --estimate               print the forecast and exit
  --out DIR                where results go (bench/results)
  --timeout-ms N           limit for one measurement (120000)
  --no-setup               skip bench/setup.sh (peer installation)
  --cpu-prof DIR           Node clients write a V8 CPU profile per run into DIR (not for published runs:
                           profiling slows them); summarize with node bench/profile-summary.ts DIR
  --help                   this text
`

function parseOptions(argv: string[]) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string' },
      'large-messages': { type: 'string' },
      'commit-messages': { type: 'string' },
      partitions: { type: 'string' },
      'batch-bytes': { type: 'string' },
      runs: { type: 'string' },
      'rebalance-runs': { type: 'string' },
      rate: { type: 'string' },
      'latency-seconds': { type: 'string' },
      'rebalance-window-ms': { type: 'string' },
      clients: { type: 'string' },
      cases: { type: 'string' },
      'no-warmup': { type: 'boolean', default: false },
      scaling: { type: 'boolean', default: false },
      'scaling-only': { type: 'boolean', default: false },
      'scaling-runs': { type: 'string' },
      'scaling-clients': { type: 'string' },
      estimate: { type: 'boolean', default: false },
      out: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'no-setup': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  })
  const messages = positiveInteger('messages', values.messages, 1_000_000)
  const batchBytes = positiveInteger('batch-bytes', values['batch-bytes'], 262_144)
  const names = (list: string | undefined) =>
    list
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean)
  return {
    cases: {
      messages,
      largeMessages: positiveInteger(
        'large-messages',
        values['large-messages'],
        Math.max(1, Math.round(messages / 5)),
      ),
      commitMessages: positiveInteger(
        'commit-messages',
        values['commit-messages'],
        Math.min(20_000, messages),
      ),
      partitions: positiveInteger('partitions', values.partitions, 6),
      batchBytes,
      latencyRatePerSec: positiveInteger('rate', values.rate, 10_000),
      latencySeconds: positiveInteger('latency-seconds', values['latency-seconds'], 10),
      rebalanceWindowMs: positiveInteger('rebalance-window-ms', values['rebalance-window-ms'], 8000),
    },
    scaling: values.scaling || values['scaling-only'],
    scalingOnly: values['scaling-only'],
    scalingRuns: positiveInteger('scaling-runs', values['scaling-runs'], 1),
    scalingClients: names(values['scaling-clients']),
    // As many payload bytes per record-size case as the 100 B cases move (100 MB at the default count).
    scalingOptions: { messages, batchBytes, bytesPerCase: messages * 100 },
    runs: positiveInteger('runs', values.runs, 3),
    rebalanceRuns: positiveInteger('rebalance-runs', values['rebalance-runs'], 1),
    warmup: !values['no-warmup'],
    estimate: values.estimate,
    clients: names(values.clients),
    caseNames: names(values.cases),
    outDir: values.out ?? fileURLToPath(new URL('./results/', import.meta.url)),
    timeoutMs: positiveInteger('timeout-ms', values['timeout-ms'], 120_000),
    setup: !values['no-setup'],
    cpuProfileDir: values['cpu-prof'],
  }
}

type Options = ReturnType<typeof parseOptions>

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`)

async function resolveBootstrap(): Promise<string> {
  const external = process.env.KAFKA_BOOTSTRAP?.trim()
  if (external) return external
  const broker = await startBroker({ progress })
  return broker.bootstrap
}

/** Fills `topic` with `messages` values of `sizeBytes` using samsa (the backlog every consumer reads). */
async function fillBacklog(
  cluster: Cluster,
  topic: string,
  messages: number,
  sizeBytes: number,
  batchBytes: number,
): Promise<void> {
  const producer = new Producer(cluster, { lingerMs: 10, batchBytes: Math.max(batchBytes, sizeBytes + 1024) })
  const value = makeValue(sizeBytes)
  const perCall = Math.max(1, Math.min(1000, Math.floor((4 * 1024 * 1024) / sizeBytes)))
  const chunk = Array.from({ length: perCall }, () => ({ topic, value }))
  await sendInChunks(messages, chunk.length, 32, (count) =>
    producer.sendBatch(count === chunk.length ? chunk : chunk.slice(0, count)),
  )
  await producer.close()
}

function taskFor(benchCase: BenchCase, bootstrap: string, topic: string, messages: number): BenchTask {
  const common = { bootstrap, topic, messages }
  switch (benchCase.kind) {
    case 'produce':
      return {
        kind: 'produce',
        ...common,
        partitions: benchCase.partitions,
        sizeBytes: benchCase.sizeBytes,
        batchBytes: benchCase.batchBytes,
      }
    case 'consume':
      return {
        kind: 'consume',
        ...common,
        partitions: benchCase.partitions,
        sizeBytes: benchCase.sizeBytes,
        group: uniqueName(`bench-${benchCase.name}`),
        commit: benchCase.commit,
        ...(benchCase.share === true ? { share: true } : {}),
      }
    case 'latency':
      return {
        kind: 'latency',
        ...common,
        partitions: benchCase.partitions,
        sizeBytes: benchCase.sizeBytes,
        ratePerSec: benchCase.ratePerSec,
        group: uniqueName(`bench-${benchCase.name}`),
      }
    case 'rebalance':
      return {
        kind: 'rebalance',
        ...common,
        partitions: benchCase.partitions,
        sizeBytes: benchCase.sizeBytes,
        group: uniqueName(`bench-${benchCase.name}`),
        protocol: benchCase.protocol,
        ratePerSec: benchCase.ratePerSec,
        windowMs: benchCase.windowMs,
      }
  }
}

function machineDescription(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
  return `${availableParallelism()} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, Kafka 4.3.1 (single KRaft broker)`
}

/** One stage of the run: cases, the clients that take part, and how many measured runs each gets. */
interface Stage {
  title: string
  cases: BenchCase[]
  clients: BenchClient[]
  runs: number
  rebalanceRuns: number
}

const runsOf = (stage: Stage, benchCase: BenchCase) =>
  benchCase.kind === 'rebalance' ? stage.rebalanceRuns : stage.runs

const backlogKey = (benchCase: BenchCase) =>
  benchCase.kind === 'consume'
    ? `${benchCase.backlog}:${benchCase.partitions}:${benchCase.sizeBytes}:${benchCase.backlogMessages}`
    : null

function forecast(stage: Stage, warmup: boolean): number {
  let seconds = 0
  const backlogs = new Set<string>()
  for (const benchCase of stage.cases) {
    const key = backlogKey(benchCase)
    if (key !== null && !backlogs.has(key)) {
      backlogs.add(key)
      seconds += backlogSeconds(benchCase)
    }
    for (const client of stage.clients)
      seconds += forecastCaseSeconds(benchCase, client.name, runsOf(stage, benchCase), warmup)
  }
  return seconds
}

/** The two peers with the highest throughput relative to the best client in produce-100B and consume-100B. */
function bestPeers(rows: readonly ResultRow[], candidates: readonly string[]): string[] {
  const score = new Map<string, number>()
  for (const caseName of ['produce-100B', 'consume-100B']) {
    const measured = rows.filter((row) => row.case === caseName && row.msgsPerSec !== null)
    const best = Math.max(0, ...measured.map((row) => row.msgsPerSec as number))
    if (best === 0) continue
    for (const row of measured) {
      if (row.client === 'samsa' || !candidates.includes(row.client)) continue
      score.set(row.client, (score.get(row.client) ?? 0) + (row.msgsPerSec as number) / best)
    }
  }
  const ranked = [...score.entries()].sort((a, b) => b[1] - a[1]).map(([client]) => client)
  return ranked.length >= 2
    ? ranked.slice(0, 2)
    : defaultScalingPeers.filter((name) => candidates.includes(name))
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const clients = allClients.filter(
    (client) => options.clients === undefined || options.clients.includes(client.name),
  )
  const select = (cases: BenchCase[]) =>
    cases.filter((benchCase) => options.caseNames === undefined || options.caseNames.includes(benchCase.name))
  const mainCases = options.scalingOnly ? [] : select(buildCases(options.cases))
  const scalingCases = options.scaling ? select(buildScalingCases(options.scalingOptions)) : []
  if ((mainCases.length === 0 && scalingCases.length === 0) || clients.length === 0) {
    throw new Error('no case or no client selected')
  }
  const scalingClientsFor = (rows: readonly ResultRow[]) => {
    const names = options.scalingClients ?? [
      'samsa',
      ...bestPeers(
        rows,
        clients.map((client) => client.name),
      ),
    ]
    return clients.filter((client) => names.includes(client.name))
  }
  const stages: Stage[] = [
    { title: 'main', cases: mainCases, clients, runs: options.runs, rebalanceRuns: options.rebalanceRuns },
    {
      title: 'scaling',
      cases: scalingCases,
      clients: scalingClientsFor([]),
      runs: options.scalingRuns,
      rebalanceRuns: options.scalingRuns,
    },
  ].filter((stage) => stage.cases.length > 0)
  const forecasts = stages.map(
    (stage) =>
      `${stage.title}: ${stage.cases.length} cases × ${stage.clients.length} clients × ${stage.runs} runs (rebalance cases ${stage.rebalanceRuns})${options.warmup ? ' + warm-ups' : ''}, about ${formatDuration(forecast(stage, options.warmup))}`,
  )
  progress(`forecast (reference machine, idle): ${forecasts.join('; ')}`)
  if (options.estimate) return

  const started = performance.now()
  if (options.cpuProfileDir !== undefined) {
    mkdirSync(options.cpuProfileDir, { recursive: true })
    process.env[CPU_PROFILE_DIR_VARIABLE] = resolve(options.cpuProfileDir)
    progress(
      `CPU profiles of the Node clients go to ${options.cpuProfileDir}; their figures are slowed by it`,
    )
  }
  if (options.setup) {
    progress('setup: optional peers (bench/setup.sh)')
    spawnSync('bash', [fileURLToPath(new URL('./setup.sh', import.meta.url))], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
  }

  if (clients.some((client) => client.name === 'samsa')) {
    // The samsa adapter runs the build (see bench/clients/samsa.ts): bring it up to date with the sources.
    progress('build: npm run build (samsa runs from dist/)')
    const build = spawnSync('npm', ['run', '-s', 'build'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (build.status !== 0) throw new Error('npm run build failed; the bench measures samsa from its build')
  }

  const unavailable = new Map<string, string>()
  for (const client of clients) {
    const reason = await client.unavailable()
    if (reason !== null) {
      unavailable.set(client.name, reason)
      progress(`${client.name}: unavailable: ${reason}`)
    }
  }

  const bootstrap = await resolveBootstrap()
  progress(`broker ${bootstrap}`)
  const cluster = Cluster.create({ bootstrap, clientId: 'bench-runner' })
  const admin = new Admin(cluster)
  const rows: ResultRow[] = []
  try {
    for (const stage of stages) {
      if (stage.title === 'scaling') stage.clients = scalingClientsFor(rows)
      progress(`${stage.title} stage: clients ${stage.clients.map((client) => client.name).join(', ')}`)
      rows.push(...(await runStage(stage, { options, bootstrap, admin, cluster, unavailable })))
    }
  } finally {
    await cluster.close()
  }
  progress(`measured in ${formatDuration((performance.now() - started) / 1000)}`)

  const date = new Date().toISOString()
  const machine = machineDescription()
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim()
  mkdirSync(options.outDir, { recursive: true })
  const json = `${JSON.stringify(rows, null, 2)}\n`
  writeFileSync(join(options.outDir, `${date.slice(0, 19).replace(/:/g, '-')}.json`), json)
  writeFileSync(join(options.outDir, 'latest.json'), json)
  const markdown = [
    `Measured ${date.slice(0, 10)} on ${machine}.`,
    `Reproduce: \`${command}\` (${options.runs} measured runs per figure, ${options.rebalanceRuns} per rebalance pause, after ${options.warmup ? 'an untimed warm-up run per client' : 'no warm-up'}, clients interleaved in rotating order; median, min–max of msg/s).`,
    '',
    markdownTable(rows),
    '',
    'Settings:',
    settingsList(rows),
    '',
  ].join('\n')
  writeFileSync(join(options.outDir, 'latest.md'), markdown)
  writeFileSync(join(options.outDir, 'latest.svg'), renderChart(rows, `${date.slice(0, 10)} · ${machine}`))
  process.stdout.write(`${markdown}\n`)
  progress(`wrote ${join(options.outDir, 'latest.json')}, latest.md, latest.svg`)
}

interface StageContext {
  options: Options
  bootstrap: string
  admin: Admin
  cluster: Cluster
  unavailable: ReadonlyMap<string, string>
}

async function runStage(stage: Stage, context: StageContext): Promise<ResultRow[]> {
  const { options, bootstrap, admin, cluster, unavailable } = context
  const createTopic = async (prefix: string, partitions: number) => {
    const topic = uniqueName(`bench-${prefix}`)
    await admin.createTopics([{ topic, partitions }])
    return topic
  }
  const rows: ResultRow[] = []
  const lastUse = new Map<string, number>()
  stage.cases.forEach((benchCase, index) => {
    const key = backlogKey(benchCase)
    if (key !== null) lastUse.set(key, index)
  })
  const backlogs = new Map<string, string>()
  const totalSteps = stage.cases.reduce(
    (sum, benchCase) => sum + stage.clients.length * runsOf(stage, benchCase),
    0,
  )
  let step = 0
  try {
    for (const [caseIndex, benchCase] of stage.cases.entries()) {
      const key = backlogKey(benchCase)
      let backlogTopic: string | undefined
      if (benchCase.kind === 'consume' && key !== null) {
        backlogTopic = backlogs.get(key)
        if (backlogTopic === undefined) {
          backlogTopic = await createTopic(benchCase.backlog, benchCase.partitions)
          progress(
            `${benchCase.name}: writing a backlog of ${benchCase.backlogMessages} × ${benchCase.sizeBytes} B to ${benchCase.partitions} partitions`,
          )
          await fillBacklog(
            cluster,
            backlogTopic,
            benchCase.backlogMessages,
            benchCase.sizeBytes,
            options.cases.batchBytes,
          )
          backlogs.set(key, backlogTopic)
        }
      }
      const reports = new Map<string, ChildReport[]>()
      const notes = new Map<string, string>()
      const versions = new Map<string, string | null>()
      const active: BenchClient[] = []
      for (const client of stage.clients) {
        const reason = unavailable.get(client.name)
        if (reason === undefined) {
          active.push(client)
          reports.set(client.name, [])
        } else notes.set(client.name, `not installed here: ${reason}`)
      }
      /** One measurement; false when the client drops out of the case (cannot do it, or failed). */
      const measure = async (
        client: BenchClient,
        messages: number,
        label: string,
      ): Promise<ChildReport | null> => {
        const topic = backlogTopic ?? (await createTopic(benchCase.name, benchCase.partitions))
        try {
          const task = taskFor(benchCase, bootstrap, topic, messages)
          if (task.kind === 'consume' && task.share === true) {
            // A new share group starts at the log end unless told otherwise (share.auto.offset.reset=latest).
            await admin.alterGroupConfigs(task.group, { set: { 'share.auto.offset.reset': 'earliest' } })
          }
          const outcome = await client.run(task, options.timeoutMs)
          if (outcome.kind === 'unsupported') {
            notes.set(client.name, outcome.reason)
            progress(`${label}: not measurable: ${outcome.reason}`)
            return null
          }
          const report = outcome.report
          versions.set(client.name, report.version)
          const rate = Math.round((report.messages / report.elapsedMs) * 1000)
          const latency =
            report.pauseMs != null
              ? `, pause ${report.pauseMs.toFixed(0)} ms`
              : report.p50Ms === null
                ? ''
                : `, p50 ${report.p50Ms.toFixed(1)} ms p99 ${report.p99Ms?.toFixed(1)} ms`
          progress(
            `${label}: ${rate.toLocaleString('en-US')} msg/s${latency}, peak RSS ${report.peakRssMb?.toFixed(0) ?? '?'} MB`,
          )
          return report
        } catch (error) {
          const note = `failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`
          notes.set(client.name, note)
          progress(`${label}: ${note}`)
          return null
        } finally {
          if (backlogTopic === undefined) await admin.deleteTopics([topic]).catch(() => {})
        }
      }
      const stillIn = (client: BenchClient) => !notes.has(client.name)
      if (options.warmup && benchCase.warmupMessages > 0) {
        for (const client of runOrder(active, 1).filter(stillIn)) {
          await measure(
            client,
            benchCase.warmupMessages,
            `${benchCase.name} · ${client.name} · warm-up (untimed)`,
          )
        }
      }
      const runs = runsOf(stage, benchCase)
      for (let run = 1; run <= runs; run++) {
        for (const client of runOrder(active, run)) {
          step++
          if (!stillIn(client)) continue
          const label = `[${String(step).padStart(String(totalSteps).length)}/${totalSteps}] ${benchCase.name} · ${client.name} · run ${run}/${runs}`
          progress(`${label} …`)
          const report = await measure(client, benchCase.messages, label)
          if (report !== null) reports.get(client.name)?.push(report)
        }
      }
      for (const client of stage.clients) {
        const measured = reports.get(client.name) ?? []
        const note = notes.get(client.name)
        rows.push(
          note === undefined && measured.length > 0
            ? summarize(benchCase.name, measured)
            : unmeasured(
                benchCase.name,
                client.name,
                note ?? 'no run finished',
                versions.get(client.name) ?? null,
              ),
        )
      }
      if (key !== null && lastUse.get(key) === caseIndex && backlogTopic !== undefined) {
        backlogs.delete(key)
        await admin.deleteTopics([backlogTopic]).catch(() => {})
      }
    }
  } finally {
    if (backlogs.size > 0) await admin.deleteTopics([...backlogs.values()]).catch(() => {})
  }
  return rows
}

try {
  await main()
  process.exit(0)
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
}
