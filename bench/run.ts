/**
 * `npm run bench`: samsa and its peers side by side against one broker. For every case × client × run it
 * creates fresh topics (or a fresh group over a shared backlog), runs the client in its own process, and
 * folds the runs into median/min/max rows. Writes bench/results/<date>.json and latest.json, a Markdown
 * table (latest.md) and a chart (latest.svg).
 *
 * Flags: --messages N (100 B records; default 1000000), --large-messages N (1 KiB records; default N/5),
 * --commit-messages N (default 20000), --partitions N (6), --runs N (3), --rate N (10000 msg/s),
 * --latency-seconds N (10), --rebalance-window-ms N (8000), --clients a,b (default all), --cases a,b (default all), --out DIR
 * (bench/results), --timeout-ms N (per run, 600000), --no-setup (skip bench/setup.sh).
 */

import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Admin } from '../src/admin/admin.ts'
import { Cluster } from '../src/cluster/cluster.ts'
import { Producer } from '../src/producer/producer.ts'
import { startBroker } from '../src/rig/index.ts'
import { uniqueName } from '../src/testing/kafka-bootstrap.ts'
import { javaClient } from './clients/java.ts'
import { kcatClient } from './clients/kcat.ts'
import { type BenchCase, buildCases } from './lib/cases.ts'
import { renderChart } from './lib/chart.ts'
import { type BenchClient, nodeClient } from './lib/client.ts'
import { makeValue } from './lib/payload.ts'
import { confluentUnavailable } from './lib/peers.ts'
import { markdownTable, type ResultRow, settingsList, summarize, unmeasured } from './lib/results.ts'
import type { BenchTask, ChildReport } from './lib/task.ts'
import { sendInChunks } from './lib/windowed.ts'

const allClients: BenchClient[] = [
  nodeClient('samsa', 'samsa.ts'),
  nodeClient('kafkajs', 'kafkajs.ts'),
  nodeClient('platformatic', 'platformatic.ts'),
  nodeClient('confluent', 'confluent.ts', confluentUnavailable),
  javaClient,
  kcatClient,
]

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
and writes bench/results/<date>.json, latest.json, latest.md (table) and latest.svg (chart).

  --messages N             100 B records in the produce/consume and commit-policy cases (1000000)
  --large-messages N       1 KiB records in the large produce case (messages / 5)
  --commit-messages N      records in the commit-after-every-message case (min(20000, messages))
  --partitions N           partitions per topic (6)
  --runs N                 runs per figure; the median is reported with min-max (3)
  --rate N                 messages per second in the latency case (10000)
  --latency-seconds N      length of the latency case (10)
  --rebalance-window-ms N  how long the rebalance cases watch for pauses (8000)
  --clients a,b            only these clients (samsa, kafkajs, platformatic, confluent, java, kcat)
  --cases a,b              only these cases (e.g. produce-100B, consume-commit-batch)
  --out DIR                where results go (bench/results)
  --timeout-ms N           limit for one measurement (600000)
  --no-setup               skip bench/setup.sh (peer installation)
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
      runs: { type: 'string' },
      rate: { type: 'string' },
      'latency-seconds': { type: 'string' },
      'rebalance-window-ms': { type: 'string' },
      clients: { type: 'string' },
      cases: { type: 'string' },
      out: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'no-setup': { type: 'boolean', default: false },
    },
    strict: true,
  })
  const messages = positiveInteger('messages', values.messages, 1_000_000)
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
      latencyRatePerSec: positiveInteger('rate', values.rate, 10_000),
      latencySeconds: positiveInteger('latency-seconds', values['latency-seconds'], 10),
      rebalanceWindowMs: positiveInteger('rebalance-window-ms', values['rebalance-window-ms'], 8000),
    },
    runs: positiveInteger('runs', values.runs, 3),
    clients: names(values.clients),
    caseNames: names(values.cases),
    outDir: values.out ?? fileURLToPath(new URL('./results/', import.meta.url)),
    timeoutMs: positiveInteger('timeout-ms', values['timeout-ms'], 600_000),
    setup: !values['no-setup'],
  }
}

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
): Promise<void> {
  const producer = new Producer(cluster, { lingerMs: 10, batchBytes: 262_144 })
  const value = makeValue(sizeBytes)
  const chunk = Array.from({ length: 1000 }, () => ({ topic, value }))
  await sendInChunks(messages, chunk.length, 32, (count) =>
    producer.sendBatch(count === chunk.length ? chunk : chunk.slice(0, count)),
  )
  await producer.close()
}

function taskFor(benchCase: BenchCase, bootstrap: string, topic: string): BenchTask {
  const common = { bootstrap, topic, messages: benchCase.messages }
  switch (benchCase.kind) {
    case 'produce':
      return { kind: 'produce', ...common, sizeBytes: benchCase.sizeBytes }
    case 'consume':
      return {
        kind: 'consume',
        ...common,
        partitions: benchCase.partitions,
        sizeBytes: benchCase.sizeBytes,
        group: uniqueName(`bench-${benchCase.name}`),
        commit: benchCase.commit,
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (options.setup) {
    progress('setup: optional peers (bench/setup.sh)')
    spawnSync('bash', [fileURLToPath(new URL('./setup.sh', import.meta.url))], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
  }
  const cases = buildCases(options.cases).filter(
    (benchCase) => options.caseNames === undefined || options.caseNames.includes(benchCase.name),
  )
  const clients = allClients.filter(
    (client) => options.clients === undefined || options.clients.includes(client.name),
  )
  if (cases.length === 0 || clients.length === 0) throw new Error('no case or no client selected')

  const unavailable = new Map<string, string>()
  for (const client of clients) {
    const reason = await client.unavailable()
    if (reason !== null) {
      unavailable.set(client.name, reason)
      progress(`${client.name}: unavailable: ${reason}`)
    }
  }

  const bootstrap = await resolveBootstrap()
  progress(`broker ${bootstrap}; ${cases.length} cases × ${clients.length} clients × ${options.runs} runs`)
  const cluster = Cluster.create({ bootstrap, clientId: 'bench-runner' })
  const admin = new Admin(cluster)
  const createTopic = async (prefix: string, partitions: number) => {
    const topic = uniqueName(`bench-${prefix}`)
    await admin.createTopics([{ topic, partitions }])
    return topic
  }

  const rows: ResultRow[] = []
  const totalSteps = cases.length * clients.length * options.runs
  let step = 0
  const backlogs = new Map<string, string>()
  try {
    for (const benchCase of cases) {
      let backlogTopic: string | undefined
      if (benchCase.kind === 'consume') {
        const key = `${benchCase.backlog}:${benchCase.messages}:${benchCase.sizeBytes}`
        backlogTopic = backlogs.get(key)
        if (backlogTopic === undefined) {
          backlogTopic = await createTopic(benchCase.backlog, benchCase.partitions)
          progress(`${benchCase.name}: writing a backlog of ${benchCase.messages} × ${benchCase.sizeBytes} B`)
          await fillBacklog(cluster, backlogTopic, benchCase.messages, benchCase.sizeBytes)
          backlogs.set(key, backlogTopic)
        }
      }
      for (const client of clients) {
        const reasonUnavailable = unavailable.get(client.name)
        if (reasonUnavailable !== undefined) {
          rows.push(unmeasured(benchCase.name, client.name, `not installed here: ${reasonUnavailable}`))
          step += options.runs
          continue
        }
        const reports: ChildReport[] = []
        let note: string | null = null
        for (let run = 1; run <= options.runs && note === null; run++) {
          step++
          const label = `[${String(step).padStart(String(totalSteps).length)}/${totalSteps}] ${benchCase.name} · ${client.name} · run ${run}/${options.runs}`
          progress(`${label} …`)
          const topic = backlogTopic ?? (await createTopic(benchCase.name, benchCase.partitions))
          try {
            const outcome = await client.run(taskFor(benchCase, bootstrap, topic), options.timeoutMs)
            if (outcome.kind === 'unsupported') {
              note = outcome.reason
              step += options.runs - run
              progress(`${label}: not measurable: ${note}`)
            } else {
              const report = outcome.report
              reports.push(report)
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
            }
          } catch (error) {
            note = `failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`
            step += options.runs - run
            progress(`${label}: ${note}`)
          }
          if (backlogTopic === undefined) await admin.deleteTopics([topic]).catch(() => {})
        }
        rows.push(
          note === null && reports.length > 0
            ? summarize(benchCase.name, reports)
            : unmeasured(benchCase.name, client.name, note ?? 'no run finished', reports[0]?.version ?? null),
        )
      }
    }
  } finally {
    if (backlogs.size > 0) await admin.deleteTopics([...backlogs.values()]).catch(() => {})
    await cluster.close()
  }

  const date = new Date().toISOString()
  const machine = machineDescription()
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim()
  mkdirSync(options.outDir, { recursive: true })
  const json = `${JSON.stringify(rows, null, 2)}\n`
  writeFileSync(join(options.outDir, `${date.slice(0, 19).replace(/:/g, '-')}.json`), json)
  writeFileSync(join(options.outDir, 'latest.json'), json)
  const markdown = [
    `Measured ${date.slice(0, 10)} on ${machine}.`,
    `Reproduce: \`${command}\` (${options.runs} runs per figure; median, min–max of msg/s).`,
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

try {
  await main()
  process.exit(0)
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
}
