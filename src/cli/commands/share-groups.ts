/**
 * `samsa share-groups list|describe|reset-offsets|delete-offsets|delete|config`: share groups (KIP-932), the
 * start offsets they deliver from, and their group configs such as `share.auto.offset.reset`. Results go to
 * stdout (a table, or JSON with `--format json`, offsets as strings); confirmations and dry-run notes go to
 * stderr.
 *
 * `reset-offsets` only shows what it would do unless given `--execute`, as `samsa groups reset-offsets` and
 * Kafka's `kafka-share-groups.sh` (whose `--dry-run` is this default) do.
 */

import { type Command, InvalidArgumentError, Option } from 'commander'
import { Admin } from '../../admin/admin.ts'
import type {
  ShareGroupDescription,
  ShareGroupOffsetReset,
  SharePartitionOffsets,
} from '../../admin/share-group-types.ts'
import type { ConfigEntry } from '../../admin/types.ts'
import { ConfigError } from '../../common/errors.ts'
import type { RegisterCommand } from '../command-module.ts'
import { withCluster } from '../data/cluster-session.ts'
import { parsePartition } from '../data/flags.ts'
import {
  addResetTargetOptions,
  type ResetTargetFlags,
  shareResetTarget,
} from '../data/reset-target-options.ts'
import { bootstrapOption, formatOption, type OutputFormat } from '../data/shared-options.ts'
import { cell, notice, table, toJson } from '../data/tables.ts'

/** The group configs a share group reads; the others (consumer.*, streams.*) belong to other group types. */
const isShareConfig = (name: string) => name.startsWith('share.')

function offsetsAsText(offsets: SharePartitionOffsets[]): string {
  return table([
    ['TOPIC', 'PARTITION', 'LEADER-EPOCH', 'START-OFFSET', 'LAG'],
    ...offsets.map((row) => [
      row.topic,
      String(row.partition),
      cell(row.leaderEpoch),
      cell(row.startOffset),
      cell(row.lag),
    ]),
  ])
}

/** `topic:0,1,2;other:0`, as kafka-share-groups prints an assignment. */
function assignmentText(member: ShareGroupDescription['members'][number]): string {
  const byTopic = new Map<string, number[]>()
  for (const tp of member.assignment) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
  return [...byTopic].map(([topic, partitions]) => `${topic}:${partitions.join(',')}`).join(';')
}

function membersAsText(description: ShareGroupDescription): string {
  return table([
    ['MEMBER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'MEMBER-EPOCH', 'ASSIGNMENT'],
    ...description.members.map((member) => [
      member.memberId,
      member.clientHost,
      member.clientId,
      String(member.assignment.length),
      String(member.memberEpoch),
      assignmentText(member) || '-',
    ]),
  ])
}

function resetsAsText(resets: ShareGroupOffsetReset[]): string {
  return table([
    ['TOPIC', 'PARTITION', 'START-OFFSET', 'NEW-OFFSET'],
    ...resets.map((reset) => [
      reset.topic,
      String(reset.partition),
      cell(reset.previousOffset),
      String(reset.newOffset),
    ]),
  ])
}

function configsAsText(configs: ConfigEntry[]): string {
  return table([
    ['NAME', 'VALUE', 'SOURCE'],
    ...configs.map((config) => [config.name, cell(config.value), config.source]),
  ])
}

/** Repeatable and comma-separated: `--state Empty,Stable --state Dead`. */
function collectList(value: string, previous: string[] = []): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (entries.length === 0) throw new InvalidArgumentError(`expected one or more names, got "${value}"`)
  return [...previous, ...entries]
}

/** Repeatable `--set name=value`. */
function collectSetting(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`)
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) }
}

interface ResetFlags extends ResetTargetFlags {
  topic?: string
  allTopics?: boolean
  partition?: number[]
  execute?: boolean
  bootstrap: string
  format: OutputFormat
}

export const registerShareGroupsCommand: RegisterCommand = (program: Command) => {
  const shareGroups = program
    .command('share-groups')
    .description(
      'list and describe share groups (KIP-932), move or delete their start offsets, read and set their configs',
    )

  shareGroups
    .command('list')
    .description('print every share group with its state')
    .addOption(
      new Option(
        '--state <states>',
        'only groups in these states: Empty, Stable, Dead (comma-separated, repeatable)',
      ).argParser(collectList),
    )
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(async (options: { state?: string[]; bootstrap: string; format: OutputFormat }) => {
      const listed = await withCluster(options.bootstrap, (cluster) =>
        new Admin(cluster).listShareGroups(options.state === undefined ? {} : { states: options.state }),
      )
      if (options.format === 'json') process.stdout.write(`${toJson(listed)}\n`)
      else
        process.stdout.write(`${table([['GROUP', 'STATE'], ...listed.map((g) => [g.groupId, g.state])])}\n`)
    })

  shareGroups
    .command('describe')
    .description("print a share group's start offsets and lag per partition, or its members with --members")
    .argument('<group>', 'the share group id')
    .option('--members', 'print the members and their assignments instead of the offsets')
    .addOption(bootstrapOption())
    .addOption(
      formatOption('text: a table; json: the group, its members, its offsets and its share.* configs'),
    )
    .action(
      async (group: string, options: { members?: boolean; bootstrap: string; format: OutputFormat }) => {
        const { description, offsets, configs } = await withCluster(options.bootstrap, async (cluster) => {
          const admin = new Admin(cluster)
          // Described first: a group that does not exist fails here, naming it.
          const described = await admin.describeShareGroup(group)
          const [listed, groupConfigs] = await Promise.all([
            admin.listShareGroupOffsets(group),
            admin.describeGroupConfigs(group),
          ])
          return { description: described, offsets: listed, configs: groupConfigs }
        })
        const shareConfigs = [...configs.values()].filter((config) => isShareConfig(config.name))
        if (options.format === 'json') {
          const config = Object.fromEntries(shareConfigs.map((entry) => [entry.name, entry.value]))
          process.stdout.write(`${toJson({ ...description, offsets, config })}\n`)
          return
        }
        const count = description.members.length
        notice(
          `share group "${group}" is ${description.state} with ${count} member${count === 1 ? '' : 's'} (group epoch ${description.groupEpoch}, assignment epoch ${description.assignmentEpoch}); share.auto.offset.reset=${configs.get('share.auto.offset.reset')?.value ?? '?'}`,
        )
        if (options.members === true) process.stdout.write(`${membersAsText(description)}\n`)
        else process.stdout.write(`${offsetsAsText(offsets)}\n`)
      },
    )

  const resetOffsets = shareGroups
    .command('reset-offsets')
    .description(
      "move an inactive share group's start offsets on a topic; shows the plan unless --execute is given",
    )
    .argument('<group>', 'the share group id')
    .addOption(new Option('--topic <topic>', 'the topic whose start offsets move'))
    .addOption(
      new Option(
        '--all-topics',
        'every topic the group has start offsets for (one request per topic)',
      ).conflicts(['topic', 'partition']),
    )
    .addOption(
      new Option('-p, --partition <partition>', 'only this partition (repeatable; default: all)').argParser(
        (value: string, previous: number[] = []) => [...previous, parsePartition(value)],
      ),
    )
  addResetTargetOptions(resetOffsets, 'share-group')
    .option('--execute', 'set the new start offsets (without it, nothing changes)')
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(async (group: string, flags: ResetFlags, command: Command) => {
      const to = shareResetTarget(flags, command)
      if (flags.topic === undefined && flags.allTopics !== true) {
        command.error('error: one of --topic, --all-topics is required')
      }
      const dryRun = flags.execute !== true
      const resets = await withCluster(flags.bootstrap, async (cluster) => {
        const admin = new Admin(cluster)
        const topics =
          flags.topic !== undefined
            ? [flags.topic]
            : [...new Set((await admin.listShareGroupOffsets(group)).map((row) => row.topic))]
        if (topics.length === 0) {
          throw new ConfigError('--all-topics', `share group "${group}" has no start offsets; name a --topic`)
        }
        const planned: ShareGroupOffsetReset[] = []
        for (const topic of topics) {
          const options = flags.partition === undefined ? {} : { partitions: flags.partition }
          planned.push(...(await admin.resetShareGroupOffsets(group, { topic, to, dryRun, ...options })))
        }
        return planned
      })
      if (flags.format === 'json') process.stdout.write(`${toJson({ groupId: group, dryRun, resets })}\n`)
      else process.stdout.write(`${resetsAsText(resets)}\n`)
      const topicCount = new Set(resets.map((reset) => reset.topic)).size
      if (dryRun) notice('dry run: no start offsets changed; add --execute to set them')
      else notice(`reset ${resets.length} partition(s) of share group "${group}" on ${topicCount} topic(s)`)
    })

  shareGroups
    .command('delete-offsets')
    .description(
      "forget an inactive share group's start offsets for whole topics (it then starts per share.auto.offset.reset)",
    )
    .argument('<group>', 'the share group id')
    .requiredOption('--topic <topic>', 'a topic whose start offsets go (repeatable)', collectList)
    .addOption(bootstrapOption())
    .action(async (group: string, options: { topic: string[]; bootstrap: string }) => {
      await withCluster(options.bootstrap, (cluster) =>
        new Admin(cluster).deleteShareGroupOffsets(group, options.topic),
      )
      notice(
        `deleted the start offsets of share group "${group}" on ${options.topic.map((t) => `"${t}"`).join(', ')}`,
      )
    })

  shareGroups
    .command('delete')
    .description('delete an inactive share group and its start offsets')
    .argument('<group>', 'the share group id')
    .addOption(bootstrapOption())
    .action(async (group: string, options: { bootstrap: string }) => {
      await withCluster(options.bootstrap, (cluster) => new Admin(cluster).deleteShareGroup(group))
      notice(`deleted share group "${group}"`)
    })

  shareGroups
    .command('config')
    .description(
      "print a share group's share.* configs, or change them with --set / --delete (the group need not exist yet)",
    )
    .argument('<group>', 'the share group id')
    .addOption(
      new Option(
        '--set <name=value>',
        'override a config, e.g. share.auto.offset.reset=earliest (repeatable)',
      ).argParser(collectSetting),
    )
    .addOption(
      new Option('--delete <name>', 'drop an override, back to the broker default (repeatable)').argParser(
        collectList,
      ),
    )
    .addOption(bootstrapOption())
    .addOption(formatOption('text: NAME VALUE SOURCE rows; json: an array of config entries'))
    .action(
      async (
        group: string,
        options: { set?: Record<string, string>; delete?: string[]; bootstrap: string; format: OutputFormat },
      ) => {
        const configs = await withCluster(options.bootstrap, async (cluster) => {
          const admin = new Admin(cluster)
          if (options.set !== undefined || options.delete !== undefined) {
            await admin.alterGroupConfigs(group, {
              ...(options.set === undefined ? {} : { set: options.set }),
              ...(options.delete === undefined ? {} : { delete: options.delete }),
            })
          }
          return admin.describeGroupConfigs(group)
        })
        const shown = [...configs.values()].filter((config) => isShareConfig(config.name))
        if (options.format === 'json') process.stdout.write(`${toJson(shown)}\n`)
        else process.stdout.write(`${configsAsText(shown)}\n`)
      },
    )
}
