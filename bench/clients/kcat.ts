/**
 * kcat (librdkafka's command-line client) from Debian. Runs in the runner process; peak RSS from /proc.
 * Produce feeds a file of newline-separated values; consume counts the records kcat prints, one byte each.
 */

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { BenchClient, ClientOutcome } from '../lib/client.ts'
import { makeValue } from '../lib/payload.ts'
import { spawnMeasured } from '../lib/spawn-measured.ts'
import type { BenchTask, ConsumeTask, ProduceTask, Settings } from '../lib/task.ts'

let cachedVersion: string | undefined

async function kcatVersion(): Promise<string> {
  if (cachedVersion === undefined) {
    const { stdout } = await promisify(execFile)('kcat', ['-V'])
    const kcat = /^Version ([\w.-]+)/m.exec(stdout)?.[1] ?? 'unknown'
    const librdkafka = /librdkafka ([\d.]+)/.exec(stdout)?.[1] ?? 'unknown'
    cachedVersion = `${kcat} (librdkafka ${librdkafka})`
  }
  return cachedVersion
}

function settingArgs(settings: Settings): string[] {
  return Object.entries(settings).flatMap(([key, value]) => ['-X', `${key}=${value}`])
}

async function produce(task: ProduceTask, timeoutMs: number): Promise<ClientOutcome> {
  const producerSettings: Settings = { acks: 'all', 'linger.ms': 10, 'batch.size': task.batchBytes }
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-kcat-'))
  try {
    const line = Buffer.concat([makeValue(task.sizeBytes), Buffer.from('\n')])
    const file = join(dir, 'values')
    writeFileSync(file, Buffer.concat(Array.from({ length: task.messages }, () => line)))
    const run = await spawnMeasured(
      'kcat',
      ['-P', '-b', task.bootstrap, '-t', task.topic, '-l', file, ...settingArgs(producerSettings)],
      { timeoutMs },
    )
    if (run.code !== 0) throw new Error(`kcat -P exited with ${run.code}: ${run.stderr.slice(-800)}`)
    return {
      kind: 'measured',
      report: {
        client: 'kcat',
        version: await kcatVersion(),
        // Process wall time: kcat reports no internal timing. Its start-up is a few ms.
        elapsedMs: run.wallMs,
        messages: task.messages,
        bytes: task.messages * task.sizeBytes,
        p50Ms: null,
        p99Ms: null,
        p999Ms: null,
        peakRssMb: run.peakRssMb,
        settings: { ...producerSettings, 'enable.idempotence': 'default (false)', input: 'file (-l)' },
      },
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function consume(task: ConsumeTask, timeoutMs: number): Promise<ClientOutcome> {
  if (task.commit === 'batch' || task.commit === 'message') {
    return { kind: 'unsupported', reason: 'kcat commits automatically or not at all' }
  }
  const settings: Settings = {
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': task.commit === 'auto',
  }
  const run = await spawnMeasured(
    'kcat',
    [
      '-b',
      task.bootstrap,
      '-G',
      task.group,
      task.topic,
      '-c',
      String(task.messages),
      '-q',
      '-f',
      '.',
      ...settingArgs(settings),
    ],
    { timeoutMs },
  )
  if (run.code !== 0) throw new Error(`kcat -G exited with ${run.code}: ${run.stderr.slice(-800)}`)
  const messages = run.stdout.length
  if (run.firstOutputMs === null || run.lastOutputMs === null || messages !== task.messages) {
    throw new Error(`kcat printed ${messages} of ${task.messages} records`)
  }
  // kcat's stdout is block-buffered into a pipe, so output arrives in chunks of a few KiB, one byte per record.
  // The clock runs from the first chunk to the last and counts the records after the first chunk; when all
  // fit in one chunk there is no interval to measure, and process wall time (with start-up and join) is used.
  const measuredRecords = messages - run.firstChunkBytes
  const spanMs = run.lastOutputMs - run.firstOutputMs
  const [elapsedMs, timing] =
    measuredRecords > 0 && spanMs > 0
      ? [(spanMs * messages) / measuredRecords, 'first to last output chunk']
      : [run.wallMs, 'process wall time']
  return {
    kind: 'measured',
    report: {
      client: 'kcat',
      version: await kcatVersion(),
      elapsedMs,
      messages,
      bytes: messages * task.sizeBytes,
      p50Ms: null,
      p99Ms: null,
      p999Ms: null,
      peakRssMb: run.peakRssMb,
      settings: { ...settings, mode: 'balanced consumer (-G)', timing },
    },
  }
}

export const kcatClient: BenchClient = {
  name: 'kcat',
  unavailable: async () => {
    try {
      await kcatVersion()
      return null
    } catch {
      return 'kcat is not installed (bench/setup.sh installs it with apt-get)'
    }
  },
  run: async (task: BenchTask, timeoutMs: number) => {
    if (task.kind === 'produce') return produce(task, timeoutMs)
    if (task.kind === 'consume' && task.share === true) {
      return { kind: 'unsupported', reason: 'kcat (librdkafka) has no share consumer' }
    }
    if (task.kind === 'consume') return consume(task, timeoutMs)
    if (task.kind === 'rebalance') {
      return { kind: 'unsupported', reason: 'kcat reports no per-partition processing times' }
    }
    return { kind: 'unsupported', reason: 'kcat cannot measure end-to-end latency of its own records' }
  },
}
