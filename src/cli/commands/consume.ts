/**
 * `samsa consume <topic>`: prints records, one value per line, or one JSON object per line with
 * `--format json`. Without a group it assigns the partitions itself (all of them, or `--partition P`) and
 * starts at the log end unless told `--from-beginning`, `--offset N` or `--timestamp T`. It stops after
 * `--count` records, after `--timeout-ms` without records, on SIGINT/SIGTERM, or when the reader of stdout
 * goes away (`| head`), and exits 0 in each of those cases.
 *
 * With `--group G` it joins the group instead (subscribing to the topic) and resumes from the group's
 * committed offsets; `--from-beginning` then only decides where a partition without a commit starts.
 * `--commit` says when printed records are committed: `auto` (periodically and on exit, the default),
 * `sync` (after each printed batch, waiting for the coordinator) or `none`. Only printed records are ever
 * committed, so a run stopped by `--count` leaves the rest for the next one.
 *
 * With `--share-group G` it reads as a member of share group G instead and acknowledges each printed
 * record with `--ack accept|release|reject` (see consume-share.ts).
 *
 * `--isolation read_committed` hides records of open and aborted transactions (and reads only up to the
 * last stable offset); the default, `read_uncommitted`, prints every record, as Java's console consumer.
 */

import { type Command, Option } from 'commander'
import { Admin } from '../../admin/admin.ts'
import type { Cluster } from '../../cluster/cluster.ts'
import { ConfigError } from '../../common/errors.ts'
import type { TopicPartition, TopicPartitionOffset } from '../../common/types.ts'
import { Consumer } from '../../consumer/consumer.ts'
import type { ConsumerMessage } from '../../consumer/message.ts'
import type { RegisterCommand } from '../command-module.ts'
import { withCluster } from '../data/cluster-session.ts'
import { parseOffset, parsePartition, parsePositiveInteger, parseTimestamp } from '../data/flags.ts'
import { type BytesEncoding, bytesEncodings, jsonLine, valueLine } from '../data/message-format.ts'
import { DataOutput } from '../data/output.ts'
import { bootstrapOption, formatOption, type OutputFormat } from '../data/shared-options.ts'
import { consumeShared, rejectNonShareFlags, type ShareAck, shareAcks } from './consume-share.ts'

/** Longest single wait for records; bounds how late a signal, `--timeout-ms` or a closed pipe is noticed. */
const pollTimeoutMs = 200

/** When a group consumer commits what it printed. */
const commitModes = ['auto', 'sync', 'none'] as const
type CommitMode = (typeof commitModes)[number]

/** Which records of transactions are printed. */
const isolationLevels = ['read_uncommitted', 'read_committed'] as const
type Isolation = (typeof isolationLevels)[number]

interface ConsumeFlags {
  group?: string
  shareGroup?: string
  ack?: ShareAck
  commit?: CommitMode
  groupProtocol?: 'classic' | 'consumer'
  isolation: Isolation
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

/**
 * Rejects the flags that set positions by hand: in a group the partitions and where they resume are the
 * group's to decide (`samsa groups reset-offsets` moves a group's offsets).
 */
function rejectPositionFlags(flags: ConsumeFlags): void {
  const byHand: Array<[string, unknown]> = [
    ['--offset', flags.offset],
    ['--timestamp', flags.timestamp],
    ['--partition', flags.partition],
  ]
  for (const [flag, value] of byHand) {
    if (value !== undefined) {
      throw new ConfigError(
        flag,
        'cannot be combined with --group: the group assigns partitions and resumes from its committed offsets (move them with `samsa groups reset-offsets`)',
      )
    }
  }
}

/** A consumer in group `flags.group`, subscribed to `topic`; with auto commit only printed records are stored. */
function startInGroup(cluster: Cluster, topic: string, group: string, flags: ConsumeFlags): Consumer {
  const consumer = new Consumer(cluster, {
    groupId: group,
    ...(flags.groupProtocol === undefined ? {} : { groupProtocol: flags.groupProtocol }),
    autoOffsetReset: flags.fromBeginning === true ? 'earliest' : 'latest',
    isolationLevel: flags.isolation,
    enableAutoCommit: flags.commit === 'auto',
    enableAutoOffsetStore: false,
  })
  consumer.subscribe([topic])
  return consumer
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
  if (flags.shareGroup !== undefined) rejectNonShareFlags({ ...flags })
  else if (flags.ack !== undefined) throw new ConfigError('--ack', 'only applies with --share-group')
  if (flags.group === undefined && flags.commit !== undefined) {
    throw new ConfigError(
      '--commit',
      'only applies with --group: without a group there is nothing to commit to',
    )
  }
  if (flags.group === undefined && flags.groupProtocol !== undefined) {
    throw new ConfigError('--group-protocol', 'only applies with --group')
  }
  if (flags.group !== undefined) rejectPositionFlags(flags)
  const commit: CommitMode = flags.commit ?? 'auto'

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
      if (flags.shareGroup !== undefined) {
        await consumeShared(cluster, {
          topic,
          group: flags.shareGroup,
          ack: flags.ack ?? 'accept',
          count: flags.count,
          timeoutMs: flags.timeoutMs,
          pollTimeoutMs,
          print: (message) =>
            flags.format === 'json'
              ? output.write(jsonLine(message, flags.encoding, { deliveryCount: message.deliveryCount }))
              : output.write(valueLine(message)),
          stopping: () => stopping,
        })
        return
      }
      const group = flags.group
      // Out-of-range start positions (an --offset past the end, records deleted by retention) fall back to
      // the earliest record still in the log, as the Java console consumer does.
      const consumer =
        group === undefined
          ? new Consumer(cluster, { autoOffsetReset: 'earliest', isolationLevel: flags.isolation })
          : startInGroup(cluster, topic, group, { ...flags, commit })
      try {
        if (group === undefined) await startAssigned(consumer, new Admin(cluster), topic, flags)
        let printed = 0
        let lastRecordAt = performance.now()
        while (!stopping) {
          const messages = await consumer.poll({ timeoutMs: pollTimeoutMs })
          if (messages.length > 0) lastRecordAt = performance.now()
          const done = new Map<string, TopicPartitionOffset>()
          for (const message of messages) {
            if (stopping || (flags.count !== undefined && printed >= flags.count)) break
            await print(message)
            printed++
            if (group !== undefined && commit === 'auto') consumer.storeOffsets(message)
            done.set(`${message.topic}:${message.partition}`, {
              topic: message.topic,
              partition: message.partition,
              offset: message.offset + 1n,
            })
          }
          if (group !== undefined && commit === 'sync' && done.size > 0) {
            await consumer.commit([...done.values()])
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
    .addOption(
      new Option(
        '-g, --group <group>',
        'consume as a member of this group, resuming from its committed offsets',
      ),
    )
    .addOption(
      new Option(
        '--share-group <group>',
        'consume as a member of this share group (KIP-932), acknowledging each printed record with --ack',
      ),
    )
    .addOption(
      new Option(
        '--ack <type>',
        'with --share-group: accept (done), release (deliver again) or reject (archive); default accept',
      ).choices(shareAcks),
    )
    .addOption(
      new Option(
        '--commit <mode>',
        'with --group: when printed records are committed (default: auto)',
      ).choices(commitModes),
    )
    .addOption(
      new Option(
        '--group-protocol <protocol>',
        'with --group: classic or consumer (KIP-848); default classic',
      ).choices(['classic', 'consumer']),
    )
    .addOption(
      new Option(
        '--isolation <level>',
        'read_committed: only records of committed transactions; read_uncommitted: every record',
      )
        .choices(isolationLevels)
        .default('read_uncommitted'),
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
