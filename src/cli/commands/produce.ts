/**
 * `samsa produce <topic>`: records from stdin, one per line, or `--count N --size BYTES` generated records
 * (keys `key-<i>`, values from {@link GeneratedValues}) for tests and load. A one-line summary goes to
 * stderr (or a JSON object to stdout with `--format json`); the exit status is 1 if any record failed.
 *
 * Sends are pipelined: up to {@link maxOutstandingSends} records are awaiting acknowledgement at once, and
 * reading stdin pauses while that many are outstanding, so a large input never sits in memory.
 */

import { type Command, Option } from 'commander'
import { Admin } from '../../admin/admin.ts'
import { ConfigError, KafkaError } from '../../common/errors.ts'
import { Producer } from '../../producer/producer.ts'
import type { ProducerRecord } from '../../producer/types.ts'
import type { RegisterCommand } from '../command-module.ts'
import { withCluster } from '../data/cluster-session.ts'
import {
  parseNonNegativeInteger,
  parsePartition,
  parsePositiveInteger,
  parseSeparator,
} from '../data/flags.ts'
import { GeneratedValues, generatedKey } from '../data/generated-records.ts'
import { splitKeyValue, splitLines } from '../data/lines.ts'
import { bootstrapOption, formatOption, type OutputFormat } from '../data/shared-options.ts'

/** Records sent but not yet acknowledged before reading more input; bounds memory, keeps batches full. */
const maxOutstandingSends = 20_000

interface ProduceFlags {
  count?: number
  size: number
  keySeparator?: string
  partition?: number
  acks: string
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
  lingerMs?: number
  bootstrap: string
  format: OutputFormat
}

interface ProduceSummary {
  topic: string
  records: number
  failed: number
  bytes: number
  elapsedMs: number
  recordsPerSecond: number
  megabytesPerSecond: number
}

/** Keeps a bounded number of sends in flight and tallies their outcomes. */
class SendWindow {
  readonly #limit: number
  #outstanding = 0
  #wakeUp: (() => void) | null = null
  succeeded = 0
  failed = 0
  firstError: unknown

  constructor(limit: number) {
    this.#limit = limit
  }

  /** Tracks `sent`; resolves once there is room for another send. */
  async add(sent: Promise<unknown>): Promise<void> {
    this.#outstanding++
    sent.then(
      () => this.#settle(true),
      (error: unknown) => {
        this.firstError ??= error
        this.#settle(false)
      },
    )
    while (this.#outstanding >= this.#limit) {
      await new Promise<void>((resolve) => {
        this.#wakeUp = resolve
      })
    }
  }

  /** Resolves when every tracked send has settled. */
  async drain(): Promise<void> {
    while (this.#outstanding > 0) {
      await new Promise<void>((resolve) => {
        this.#wakeUp = resolve
      })
    }
  }

  #settle(ok: boolean): void {
    if (ok) this.succeeded++
    else this.failed++
    this.#outstanding--
    const wakeUp = this.#wakeUp
    this.#wakeUp = null
    wakeUp?.()
  }
}

async function* generatedRecords(topic: string, count: number, size: number): AsyncGenerator<ProducerRecord> {
  const values = new GeneratedValues(size)
  for (let index = 0; index < count; index++) {
    yield { topic, key: generatedKey(index), value: values.valueOf(index) }
  }
}

async function* stdinRecords(
  topic: string,
  keySeparator: string | undefined,
): AsyncGenerator<ProducerRecord> {
  const separator = keySeparator === undefined ? null : Buffer.from(keySeparator)
  for await (const line of splitLines(process.stdin)) {
    if (separator === null) {
      yield { topic, value: line }
    } else {
      const { key, value } = splitKeyValue(line, separator)
      yield { topic, key, value }
    }
  }
}

function recordBytes(record: ProducerRecord): number {
  const size = (part: Buffer | string | null | undefined) =>
    part === null || part === undefined ? 0 : typeof part === 'string' ? Buffer.byteLength(part) : part.length
  return size(record.key) + size(record.value)
}

async function produce(topic: string, flags: ProduceFlags): Promise<ProduceSummary> {
  return withCluster(flags.bootstrap, async (cluster) => {
    // Fail fast, naming the topic, instead of waiting for the producer's metadata to give up on it.
    const [description] = await new Admin(cluster).describeTopics([topic])
    if (flags.partition !== undefined && flags.partition >= (description?.partitions.length ?? 0)) {
      const count = description?.partitions.length ?? 0
      throw new ConfigError(
        '--partition',
        `topic "${topic}" has ${count} partition(s); ${flags.partition} is not one`,
      )
    }
    const producer = new Producer(cluster, {
      acks: flags.acks === 'all' ? 'all' : (Number(flags.acks) as 0 | 1 | -1),
      compression: flags.compression,
      ...(flags.lingerMs === undefined ? {} : { lingerMs: flags.lingerMs }),
    })
    const window = new SendWindow(maxOutstandingSends)
    let bytes = 0
    const started = performance.now()
    try {
      const records =
        flags.count === undefined
          ? stdinRecords(topic, flags.keySeparator)
          : generatedRecords(topic, flags.count, flags.size)
      for await (const record of records) {
        if (flags.partition !== undefined) record.partition = flags.partition
        bytes += recordBytes(record)
        await window.add(producer.send(record))
      }
      await producer.flush()
      await window.drain()
    } finally {
      await producer.close()
    }
    const elapsedMs = performance.now() - started
    const seconds = Math.max(elapsedMs, 1) / 1000
    const summary: ProduceSummary = {
      topic,
      records: window.succeeded,
      failed: window.failed,
      bytes,
      elapsedMs: Math.round(elapsedMs),
      recordsPerSecond: Math.round(window.succeeded / seconds),
      megabytesPerSecond: Math.round((bytes / seconds / 1_048_576) * 100) / 100,
    }
    if (window.failed > 0) {
      const reason =
        window.firstError instanceof Error ? window.firstError.message : String(window.firstError)
      throw new KafkaError(
        `${window.failed} of ${window.failed + window.succeeded} records failed; the first error: ${reason}`,
        window.firstError instanceof KafkaError ? window.firstError.code : -1,
      )
    }
    return summary
  })
}

export const registerProduceCommand: RegisterCommand = (program: Command) => {
  program
    .command('produce')
    .description('produce stdin lines (one record each), or --count generated records, to a topic')
    .argument('<topic>', 'topic to produce to')
    .addOption(
      new Option(
        '-n, --count <records>',
        'generate this many records (keys key-<i>) instead of reading stdin',
      ).argParser(parsePositiveInteger),
    )
    .addOption(
      new Option('-s, --size <bytes>', 'size of each generated value (with --count)')
        .argParser(parseNonNegativeInteger)
        .default(100),
    )
    .addOption(
      new Option(
        '-k, --key-separator <separator>',
        'split each stdin line at the first separator into key and value',
      )
        .argParser(parseSeparator)
        .conflicts('count'),
    )
    .addOption(
      new Option('-p, --partition <partition>', 'send every record to this partition').argParser(
        parsePartition,
      ),
    )
    .addOption(
      new Option('--acks <acks>', 'acknowledgements to wait for')
        .choices(['0', '1', 'all', '-1'])
        .default('all'),
    )
    .addOption(
      new Option('--compression <codec>', 'compression of record batches')
        .choices(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
        .default('none'),
    )
    .addOption(
      new Option('--linger-ms <ms>', 'how long to wait for more records before sending a batch').argParser(
        parseNonNegativeInteger,
      ),
    )
    .addOption(bootstrapOption())
    .addOption(formatOption('summary format: a line on stderr (text) or a JSON object on stdout (json)'))
    .action(async (topic: string, flags: ProduceFlags, command: Command) => {
      if (command.getOptionValueSource('size') === 'cli' && flags.count === undefined) {
        command.error('samsa: option --size needs --count', { exitCode: 1, code: 'samsa.sizeWithoutCount' })
      }
      const summary = await produce(topic, flags)
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify(summary)}\n`)
      } else {
        process.stderr.write(
          `samsa: produced ${summary.records} records (${summary.bytes} bytes) to "${topic}" in ` +
            `${(summary.elapsedMs / 1000).toFixed(2)}s: ${summary.recordsPerSecond} records/s, ` +
            `${summary.megabytesPerSecond} MB/s\n`,
        )
      }
    })
}
