/**
 * Peak resident memory of `run()` with a slow handler over a large backlog: what the processing layer's byte
 * bounds (`maxBufferedBytesPerPartition`, `maxBufferedBytes`) and the consumer's read-ahead (`maxBufferedBytes`
 * of the consumer) hold, measured rather than timed. Not part of `npm run bench` or of the tests.
 *
 *   node bench/processing-backlog-rss.ts [--backlog-mb 1024] [--record-kb 16] [--partitions 6]
 *     [--seconds 20] [--handler-ms 5] [--keep]
 *
 * The parent writes the backlog once (to a fresh topic, deleted at the end unless --keep), then runs each
 * configuration in a child process of its own, so each peak RSS (`process.resourceUsage().maxRSS`) is that
 * configuration's alone. Each child handles records one at a time, `--handler-ms` each, for `--seconds`: far
 * less than the backlog, so the bounds, not the backlog, decide what is held.
 */

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Kafka } from '../src/index.ts'

const { values } = parseArgs({
  options: {
    'backlog-mb': { type: 'string', default: '1024' },
    'record-kb': { type: 'string', default: '16' },
    partitions: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '20' },
    'handler-ms': { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
})
const bootstrap = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:9092'

interface ChildConfig {
  topic: string
  seconds: number
  handlerMs: number
  run: { maxBufferedBytesPerPartition?: number; maxBufferedBytes?: number; ordering?: 'none' }
  consumerMaxBufferedBytes?: number
}

interface ChildReport {
  baselineRssMb: number
  peakRssMb: number
  handled: number
  handledMb: number
}

if (values.child !== undefined) {
  const config = JSON.parse(values.child) as ChildConfig
  const baselineRssMb = process.resourceUsage().maxRSS / 1024
  const kafka = new Kafka({ bootstrap, clientId: 'backlog-rss', logger: false })
  const consumer = kafka.consumer({
    groupId: `backlog-rss-${process.pid}-${Date.now()}`,
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    ...(config.consumerMaxBufferedBytes === undefined
      ? {}
      : { maxBufferedBytes: config.consumerMaxBufferedBytes }),
  })
  let handled = 0
  let handledBytes = 0
  const handle = await consumer.run({
    topics: [config.topic],
    ...config.run,
    eachMessage: async ({ message }) => {
      await new Promise((resolve) => setTimeout(resolve, config.handlerMs))
      handled++
      handledBytes += message.value?.length ?? 0
    },
  })
  await new Promise((resolve) => setTimeout(resolve, config.seconds * 1000))
  await handle.stop({ timeoutMs: 5000 }).catch(() => {})
  const report: ChildReport = {
    baselineRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    handled,
    handledMb: handledBytes / 1024 / 1024,
  }
  process.stdout.write(`${JSON.stringify(report)}\n`)
  process.exit(0)
}

const backlogMb = Number(values['backlog-mb'])
const recordBytes = Number(values['record-kb']) * 1024
const partitions = Number(values.partitions)
const kafka = new Kafka({ bootstrap, clientId: 'backlog-rss', logger: false })
const topic = `backlog-rss-${Date.now()}`
const admin = kafka.admin()
await admin.createTopics([{ topic, partitions }])

const records = Math.ceil((backlogMb * 1024 * 1024) / recordBytes)
process.stdout.write(
  `writing ${records} records of ${recordBytes} B (${backlogMb} MiB) to ${partitions} partitions…\n`,
)
const producer = kafka.producer()
const value = Buffer.alloc(recordBytes, 0x61)
const chunk = 256
for (let sent = 0; sent < records; sent += chunk) {
  const count = Math.min(chunk, records - sent)
  await producer.sendBatch(
    Array.from({ length: count }, (_, i) => ({ topic, partition: (sent + i) % partitions, value })),
  )
}
await producer.close()

const configs: { name: string; config: Omit<ChildConfig, 'topic' | 'seconds' | 'handlerMs'> }[] = [
  { name: 'defaults (run 8 MiB/partition, 64 MiB; consumer read-ahead 4 MiB)', config: { run: {} } },
  {
    name: 'run 1 MiB/partition, 8 MiB',
    config: { run: { maxBufferedBytesPerPartition: 1024 * 1024, maxBufferedBytes: 8 * 1024 * 1024 } },
  },
  // Out of order, queued messages are also open in the marks: the bounds must hold there too.
  { name: "defaults, ordering 'none' (16 in flight per partition)", config: { run: { ordering: 'none' } } },
  {
    name: 'run 32 MiB/partition, 256 MiB',
    config: { run: { maxBufferedBytesPerPartition: 32 * 1024 * 1024, maxBufferedBytes: 256 * 1024 * 1024 } },
  },
]

const script = fileURLToPath(import.meta.url)
const rows: string[] = []
for (const { name, config } of configs) {
  const childConfig: ChildConfig = {
    topic,
    seconds: Number(values.seconds),
    handlerMs: Number(values['handler-ms']),
    ...config,
  }
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--child', JSON.stringify(childConfig)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let text = ''
    child.stdout.on('data', (data: Buffer) => {
      text += data.toString()
    })
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))))
  })
  const report = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as ChildReport
  rows.push(
    `| ${name} | ${report.baselineRssMb.toFixed(0)} | ${report.peakRssMb.toFixed(0)} | ${report.handled} (${report.handledMb.toFixed(1)} MiB) |`,
  )
}

process.stdout.write(
  `\nbacklog ${backlogMb} MiB, ${recordBytes} B records, ${partitions} partitions; handler ${values['handler-ms']} ms per record for ${values.seconds} s\n\n` +
    '| configuration | RSS at start MiB | peak RSS MiB | handled |\n|---|---|---|---|\n' +
    `${rows.join('\n')}\n`,
)
if (!values.keep) await admin.deleteTopics([topic])
await admin.close()
