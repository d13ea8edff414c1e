/**
 * `samsa topics create|list|describe|delete`. Results go to stdout (one name per line, a table, or JSON with
 * `--format json`); confirmations of changes go to stderr so that scripts reading stdout see only data.
 */

import { type Command, Option } from 'commander'
import { Admin } from '../../admin/admin.ts'
import type { TopicDescription } from '../../admin/types.ts'
import type { RegisterCommand } from '../command-module.ts'
import { withCluster } from '../data/cluster-session.ts'
import { collectConfig, parsePositiveInteger, parseReplicationFactor } from '../data/flags.ts'
import { bootstrapOption, formatOption, type OutputFormat } from '../data/shared-options.ts'

const notice = (line: string) => process.stderr.write(`samsa: ${line}\n`)

function describeAsText(topics: TopicDescription[]): string {
  const rows = [['TOPIC', 'PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'OFFLINE']]
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      rows.push([
        topic.name,
        String(partition.partition),
        String(partition.leader),
        String(partition.leaderEpoch),
        partition.replicas.join(','),
        partition.isr.join(','),
        partition.offlineReplicas.join(',') || '-',
      ])
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export const registerTopicsCommand: RegisterCommand = (program: Command) => {
  const topics = program.command('topics').description('create, list, describe and delete topics')

  topics
    .command('create')
    .description('create a topic and wait until every partition has a leader')
    .argument('<topic>', 'name of the topic')
    .addOption(
      new Option('-p, --partitions <count>', 'number of partitions')
        .argParser(parsePositiveInteger)
        .default(1),
    )
    .addOption(
      new Option('-r, --replication-factor <count>', 'copies of each partition')
        .argParser(parseReplicationFactor)
        .default(1),
    )
    .option(
      '-c, --config <name=value>',
      'a topic config, e.g. retention.ms=60000 (repeatable)',
      collectConfig,
    )
    .option('--if-not-exists', 'succeed without changes when the topic already exists')
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(
      async (
        topic: string,
        options: {
          partitions: number
          replicationFactor: number
          config?: Record<string, string>
          ifNotExists?: boolean
          bootstrap: string
          format: OutputFormat
        },
      ) => {
        const [result] = await withCluster(options.bootstrap, (cluster) =>
          new Admin(cluster).createTopics(
            [
              {
                topic,
                partitions: options.partitions,
                replicationFactor: options.replicationFactor,
                ...(options.config === undefined ? {} : { configs: options.config }),
              },
            ],
            { ifNotExists: options.ifNotExists === true },
          ),
        )
        if (options.format === 'json') {
          process.stdout.write(`${JSON.stringify(result)}\n`)
        } else if (result?.created === false) {
          notice(`topic "${topic}" already exists; left unchanged`)
        } else {
          notice(`created topic "${topic}" with ${options.partitions} partition(s)`)
        }
      },
    )

  topics
    .command('list')
    .description('print the names of the topics, one per line')
    .option('--include-internal', 'include internal topics such as __consumer_offsets')
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(async (options: { includeInternal?: boolean; bootstrap: string; format: OutputFormat }) => {
      const names = await withCluster(options.bootstrap, (cluster) =>
        new Admin(cluster).listTopics({ includeInternal: options.includeInternal === true }),
      )
      if (options.format === 'json') process.stdout.write(`${JSON.stringify(names)}\n`)
      else if (names.length > 0) process.stdout.write(`${names.join('\n')}\n`)
    })

  topics
    .command('describe')
    .description('print the partitions, leaders and replicas of topics')
    .argument('<topics...>', 'names of the topics')
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(async (names: string[], options: { bootstrap: string; format: OutputFormat }) => {
      const described = await withCluster(options.bootstrap, (cluster) =>
        new Admin(cluster).describeTopics(names),
      )
      if (options.format === 'json') process.stdout.write(`${JSON.stringify(described)}\n`)
      else process.stdout.write(`${describeAsText(described)}\n`)
    })

  topics
    .command('delete')
    .description('delete topics and wait until the cluster has forgotten them')
    .argument('<topics...>', 'names of the topics')
    .option('--if-exists', 'succeed for topics that do not exist')
    .addOption(bootstrapOption())
    .action(async (names: string[], options: { ifExists?: boolean; bootstrap: string }) => {
      await withCluster(options.bootstrap, (cluster) =>
        new Admin(cluster).deleteTopics(names, { ifExists: options.ifExists === true }),
      )
      notice(`deleted ${names.map((name) => `topic "${name}"`).join(', ')}`)
    })
}
