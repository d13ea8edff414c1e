/**
 * `samsa consume <topic>`: prints records, one value per line, or one JSON object per line with
 * `--format json`. Without a group it assigns the partitions itself (all of them, or `--partition P`) and
 * starts at the log end unless told `--from-beginning`, `--offset N` or `--timestamp T`. It stops after
 * `--count` records, after `--timeout-ms` without records, on SIGINT/SIGTERM, or when the reader of stdout
 * goes away (`| head`), and exits 0 in each of those cases.
 *
 * Where the records come from is decided by {@link startAssigned}; a group mode (`--group`) would replace only
 * that step with a subscription, keeping the printing loop.
 */

import { type Command, Option } from 'commander'
import { Admin } from '../../admin/admin.ts'
import { ConfigError } from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { Consumer } from '../../consumer/consumer.ts'
import type { ConsumerMessage } from '../../consumer/message.ts'
import type { RegisterCommand } from '../command-module.ts'
import { withCluster } from '../data/cluster-session.ts'
import { parseOffset, parsePartition, parsePositiveInteger, parseTimestamp } from '../data/flags.ts'
import { type BytesEncoding, bytesEncodings, jsonLine, valueLine } from '../data/message-format.ts'
import { DataOutput } from '../data/output.ts'
import { bootstrapOption, formatOption, type OutputFormat } from '../data/shared-options.ts'

/** Longest single wait for records; bounds how late a signal, `--timeout-ms` or a closed pipe is noticed. */
const pollTimeoutMs = 200

interface ConsumeFlags {
  fromBeginning?: boolean
  offset?: bigint
  timestamp?: number
  partition?: number
  count?: number
  timeoutMs?: number
  bootstrap: string
  format: OutputFormat
  encoding: BytesEncoding
}

/** Assigns the partitions to read and positions the consumer where the flags say. */
async function startAssigned(
  consumer: Consumer,
  admin: Admin,
  topic: string,
  flags: ConsumeFlags,
): Promise<void> {
  const [description] = await admin.describeTopics([topic])
  const all = (description?.partitions ?? []).map((partition) => partition.partition)
  if (flags.partition !== undefined && !all.includes(flags.partition)) {
    throw new ConfigError(
      '--partition',
      `topic "${topic}" has ${all.length} partition(s); ${flags.partition} is not one`,
    )
  }
  const partitions: TopicPartition[] = (flags.partition === undefined ? all : [flags.partition]).map(
    (partition) => ({
      topic,
      partition,
    }),
  )
  consumer.assign(partitions)

  if (flags.offset !== undefined) {
    for (const partition of partitions) consumer.seek({ ...partition, offset: flags.offset })
  } else if (flags.timestamp !== undefined) {
    const found = await admin.offsetsForTimestamp(topic, flags.timestamp)
    for (const partition of partitions) {
      const offset = found.find((entry) => entry.partition === partition.partition)?.offset ?? 0n
      consumer.seek({ ...partition, offset })
    }
  } else if (flags.fromBeginning === true) {
    consumer.seekToBeginning(partitions)
  } else {
    consumer.seekToEnd(partitions)
  }
}

/** Resolves when the process is asked to stop; a second signal is left to Node's default (exit). */
function stopSignal(): { promise: Promise<void>; dispose: () => void } {
  let onSignal = () => {}
  const promise = new Promise<void>((resolve) => {
    onSignal = () => resolve()
  })
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

async function consume(topic: string, flags: ConsumeFlags): Promise<void> {
  const output = new DataOutput(process.stdout)
  const print =
    flags.format === 'json'
      ? (message: ConsumerMessage) => output.write(jsonLine(message, flags.encoding))
      : (message: ConsumerMessage) => output.write(valueLine(message))
  const stop = stopSignal()
  let stopping = false
  void stop.promise.then(() => {
    stopping = true
  })
  output.onClose(() => {
    stopping = true
  })

  try {
    await withCluster(flags.bootstrap, async (cluster) => {
      // Out-of-range start positions (an --offset past the end, records deleted by retention) fall back to
      // the earliest record still in the log, as the Java console consumer does.
      const consumer = new Consumer(cluster, { autoOffsetReset: 'earliest' })
      try {
        await startAssigned(consumer, new Admin(cluster), topic, flags)
        let printed = 0
        let lastRecordAt = performance.now()
        while (!stopping) {
          const messages = await consumer.poll({ timeoutMs: pollTimeoutMs })
          if (messages.length > 0) lastRecordAt = performance.now()
          for (const message of messages) {
            if (stopping || (flags.count !== undefined && printed >= flags.count)) break
            await print(message)
            printed++
          }
          if (flags.count !== undefined && printed >= flags.count) break
          if (flags.timeoutMs !== undefined && performance.now() - lastRecordAt >= flags.timeoutMs) break
        }
      } finally {
        await consumer.close()
      }
    })
  } finally {
    stop.dispose()
    await output.end()
  }
}

export const registerConsumeCommand: RegisterCommand = (program: Command) => {
  program
    .command('consume')
    .description('print the records of a topic: one value per line, or JSON lines with --format json')
    .argument('<topic>', 'topic to read')
    .addOption(
      new Option('--from-beginning', 'start at the earliest record of each partition').conflicts([
        'offset',
        'timestamp',
      ]),
    )
    .addOption(
      new Option('-o, --offset <offset>', 'start at this offset in every partition read')
        .argParser(parseOffset)
        .conflicts(['timestamp']),
    )
    .addOption(
      new Option(
        '-t, --timestamp <time>',
        'start at the first record at or after this time (ms since epoch or ISO-8601)',
      ).argParser(parseTimestamp),
    )
    .addOption(
      new Option('-p, --partition <partition>', 'read only this partition (default: all)').argParser(
        parsePartition,
      ),
    )
    .addOption(
      new Option('-n, --count <records>', 'exit after printing this many records').argParser(
        parsePositiveInteger,
      ),
    )
    .addOption(
      new Option('--timeout-ms <ms>', 'exit after this long without a new record').argParser(
        parsePositiveInteger,
      ),
    )
    .addOption(bootstrapOption())
    .addOption(
      formatOption('text: the value alone; json: topic, partition, offset, timestamp, key, value, headers'),
    )
    .addOption(
      new Option('--encoding <encoding>', 'how keys, values and headers appear in JSON output')
        .choices(bytesEncodings)
        .default('utf8'),
    )
    .action(async (topic: string, flags: ConsumeFlags) => {
      await consume(topic, flags)
    })
}
