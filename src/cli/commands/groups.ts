/**
 * `samsa groups list|describe|reset-offsets|delete`: consumer groups, their lag, and moving their offsets.
 * Results go to stdout (a table, or JSON with `--format json`, offsets as strings since JSON numbers lose
 * precision above 2^53); confirmations and dry-run notes go to stderr.
 *
 * `reset-offsets` only shows what it would do unless given `--execute`, like Kafka's own tool, because a
 * reset cannot be undone once consumers have resumed from it.
 */

import { type Command, Option } from 'commander'
import { Admin } from '../../admin/admin.ts'
import type { GroupListing, GroupOffsetReset, GroupPartitionOffsets } from '../../admin/group-types.ts'
import { KafkaError } from '../../common/errors.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import type { RegisterCommand } from '../command-module.ts'
import { withCluster } from '../data/cluster-session.ts'
import { parsePartition } from '../data/flags.ts'
import {
  addResetTargetOptions,
  groupResetTarget,
  type ResetTargetFlags,
} from '../data/reset-target-options.ts'
import { bootstrapOption, formatOption, type OutputFormat } from '../data/shared-options.ts'
import { cell, notice, table, toJson } from '../data/tables.ts'

function listAsText(groups: GroupListing[]): string {
  return table([
    ['GROUP', 'TYPE', 'STATE'],
    ...groups.map((group) => [group.groupId, group.type, group.state || '-']),
  ])
}

function offsetsAsText(offsets: GroupPartitionOffsets[]): string {
  return table([
    ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'CLIENT-ID'],
    ...offsets.map((row) => [
      row.topic,
      String(row.partition),
      cell(row.committedOffset),
      cell(row.logEndOffset),
      cell(row.lag),
      cell(row.memberId),
      cell(row.clientId),
    ]),
  ])
}

function resetsAsText(resets: GroupOffsetReset[]): string {
  return table([
    ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'],
    ...resets.map((reset) => [
      reset.topic,
      String(reset.partition),
      cell(reset.previousOffset),
      String(reset.newOffset),
    ]),
  ])
}

interface ResetFlags extends ResetTargetFlags {
  topic: string
  partition?: number[]
  execute?: boolean
  bootstrap: string
  format: OutputFormat
}

export const registerGroupsCommand: RegisterCommand = (program: Command) => {
  const groups = program
    .command('groups')
    .description('list and describe consumer groups, show their lag, reset their offsets, delete them')

  groups
    .command('list')
    .description('print every consumer group with its type (classic or consumer) and state')
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(async (options: { bootstrap: string; format: OutputFormat }) => {
      const listed = await withCluster(options.bootstrap, (cluster) => new Admin(cluster).listGroups())
      if (options.format === 'json') process.stdout.write(`${toJson(listed)}\n`)
      else process.stdout.write(`${listAsText(listed)}\n`)
    })

  groups
    .command('describe')
    .description("print a group's committed offsets, log-end offsets and lag per partition")
    .argument('<group>', 'the group id')
    .addOption(bootstrapOption())
    .addOption(formatOption('text: a table per partition; json: the group, its members and its offsets'))
    .action(async (group: string, options: { bootstrap: string; format: OutputFormat }) => {
      const { description, offsets } = await withCluster(options.bootstrap, async (cluster) => {
        const admin = new Admin(cluster)
        const [described, listed] = await Promise.all([
          admin.describeGroup(group).catch((error: unknown) => {
            // Offsets committed without members may outlive the group's description.
            if (error instanceof KafkaError && error.code === ErrorCode.GROUP_ID_NOT_FOUND) return undefined
            throw error
          }),
          admin.listGroupOffsets(group),
        ])
        return { description: described, offsets: listed }
      })
      if (options.format === 'json') {
        process.stdout.write(`${toJson({ ...(description ?? { groupId: group }), offsets })}\n`)
        return
      }
      if (description !== undefined) {
        const count = description.members.length
        notice(
          `group "${group}" (${description.type}) is ${description.state} with ${count} member${count === 1 ? '' : 's'}`,
        )
      }
      process.stdout.write(`${offsetsAsText(offsets)}\n`)
    })

  const resetOffsets = groups
    .command('reset-offsets')
    .description("move an inactive group's offsets on a topic; shows the plan unless --execute is given")
    .argument('<group>', 'the group id')
    .requiredOption('--topic <topic>', 'the topic whose offsets move')
    .addOption(
      new Option('-p, --partition <partition>', 'only this partition (repeatable; default: all)').argParser(
        (value: string, previous: number[] = []) => [...previous, parsePartition(value)],
      ),
    )
  addResetTargetOptions(resetOffsets, 'consumer-group')
    .option('--execute', 'commit the new offsets (without it, nothing changes)')
    .addOption(bootstrapOption())
    .addOption(formatOption())
    .action(async (group: string, flags: ResetFlags, command: Command) => {
      const to = groupResetTarget(flags, command)
      const dryRun = flags.execute !== true
      const resets = await withCluster(flags.bootstrap, (cluster) =>
        new Admin(cluster).resetGroupOffsets(group, {
          topic: flags.topic,
          to,
          dryRun,
          ...(flags.partition === undefined ? {} : { partitions: flags.partition }),
        }),
      )
      if (flags.format === 'json') process.stdout.write(`${toJson({ groupId: group, dryRun, resets })}\n`)
      else process.stdout.write(`${resetsAsText(resets)}\n`)
      if (dryRun) notice('dry run: no offsets changed; add --execute to commit them')
      else notice(`reset ${resets.length} partition(s) of group "${group}" on topic "${flags.topic}"`)
    })

  groups
    .command('delete')
    .description('delete an inactive group and its committed offsets')
    .argument('<group>', 'the group id')
    .addOption(bootstrapOption())
    .action(async (group: string, options: { bootstrap: string }) => {
      await withCluster(options.bootstrap, (cluster) => new Admin(cluster).deleteGroup(group))
      notice(`deleted group "${group}"`)
    })
}
