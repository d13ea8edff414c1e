/**
 * Apache Kafka's own share-group tools (KIP-932), driven from tests: the console share consumer, which puts
 * a real member into a share group without samsa's share consumer, and `kafka-share-groups.sh`
 * (ShareGroupCommand), the reference that samsa's share-group admin is compared with row for row.
 */

import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { KafkaError } from '../common/errors.ts'
import { runJavaTool, spawnJavaTool } from './java-tools.ts'

const SHARE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleShareConsumer'
const SHARE_GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ShareGroupCommand'

export interface ConsoleShareConsumerOptions {
  bootstrap: string
  topic: string
  group: string
  /** Consumer configs, e.g. `{ 'client.id': 'x' }`. */
  properties?: Record<string, string>
}

/** A console share consumer running in the background as a member of its group. */
export interface RunningShareConsumer {
  readonly process: ChildProcess
  /** The record values it printed so far, one per line. */
  values(): string[]
  /** Ends it with SIGTERM, so it leaves the group at once, and waits for it to exit. */
  stop(): Promise<void>
}

function consumerArgs(options: ConsoleShareConsumerOptions): string[] {
  return [
    '--bootstrap-server',
    options.bootstrap,
    '--topic',
    options.topic,
    '--group',
    options.group,
    ...Object.entries(options.properties ?? {}).flatMap(([key, value]) => [
      '--command-property',
      `${key}=${value}`,
    ]),
  ]
}

/** Starts the console share consumer; it accepts each record it prints and runs until stopped. */
export async function startConsoleShareConsumer(
  options: ConsoleShareConsumerOptions,
): Promise<RunningShareConsumer> {
  const child = await spawnJavaTool(SHARE_CONSUMER, consumerArgs(options), ['ignore', 'pipe', 'pipe'])
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const exited = once(child, 'exit')
  return {
    process: child,
    values: () => stdout.split('\n').filter((line) => line !== ''),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
      if (/Exception/.test(stderr) && !/WakeupException|InterruptException/.test(stderr)) {
        // Surfaces a consumer that failed instead of consuming, which would make a test's group meaningless.
        throw new KafkaError(
          `ConsoleShareConsumer failed:\n${stderr.trimEnd().split('\n').slice(-10).join('\n')}`,
          -1,
        )
      }
    },
  }
}

/** Reads `maxMessages` records with the console share consumer (accepting them) and returns their values. */
export async function consoleShareConsume(
  options: ConsoleShareConsumerOptions & { maxMessages: number; idleTimeoutMs?: number },
): Promise<string[]> {
  const idle = options.idleTimeoutMs ?? 20_000
  const result = await runJavaTool(
    SHARE_CONSUMER,
    [...consumerArgs(options), '--max-messages', String(options.maxMessages), '--timeout-ms', String(idle)],
    { timeoutMs: idle + 60_000 },
  )
  // With --timeout-ms the tool exits non-zero when it gives up idle; what it printed until then still counts.
  if (result.code !== 0 && !/TimeoutException/.test(result.stderr)) {
    throw new KafkaError(
      `ConsoleShareConsumer exited with code ${result.code}:\n${result.stderr}`,
      result.code,
    )
  }
  return result.stdout.split('\n').filter((line) => line !== '')
}

async function shareGroupCommand(args: string[]): Promise<string> {
  const result = await runJavaTool(SHARE_GROUP_COMMAND, ['--bootstrap-server', ...args])
  if (result.code !== 0) {
    throw new KafkaError(
      `ShareGroupCommand exited with code ${result.code}:\n${result.stdout}${result.stderr}`,
      result.code,
    )
  }
  return result.stdout
}

const orNull = (text: string) => (text === '-' ? null : text)
const bigOrNull = (text: string) => (text === '-' ? null : BigInt(text))

/** One row of `kafka-share-groups.sh --describe --offsets --verbose`; null where the tool printed `-`. */
export interface ShareGroupOffsetRow {
  topic: string
  partition: number
  leaderEpoch: number | null
  startOffset: bigint | null
  lag: bigint | null
}

/** The group's start offsets as Kafka's tool prints them, in its order (topic, then partition). */
export async function shareGroupOffsets(bootstrap: string, group: string): Promise<ShareGroupOffsetRow[]> {
  const stdout = await shareGroupCommand([
    bootstrap,
    '--describe',
    '--offsets',
    '--verbose',
    '--group',
    group,
  ])
  const rows: ShareGroupOffsetRow[] = []
  for (const line of stdout.split('\n')) {
    // GROUP TOPIC PARTITION LEADER-EPOCH START-OFFSET LAG
    const columns = line.trim().split(/\s+/)
    if (columns.length !== 6 || columns[0] !== group || !/^\d+$/.test(columns[2]!)) continue
    const epoch = orNull(columns[3]!)
    rows.push({
      topic: columns[1]!,
      partition: Number(columns[2]),
      leaderEpoch: epoch === null ? null : Number(epoch),
      startOffset: bigOrNull(columns[4]!),
      lag: bigOrNull(columns[5]!),
    })
  }
  return rows
}

/** One row of `kafka-share-groups.sh --describe --members --verbose`. */
export interface ShareGroupMemberRow {
  consumerId: string
  host: string
  clientId: string
  partitions: number
  memberEpoch: number
  /** As printed: `topic:0,1,2;other:0`, or '' when nothing is assigned. */
  assignment: string
}

export async function shareGroupMembers(bootstrap: string, group: string): Promise<ShareGroupMemberRow[]> {
  const stdout = await shareGroupCommand([
    bootstrap,
    '--describe',
    '--members',
    '--verbose',
    '--group',
    group,
  ])
  const rows: ShareGroupMemberRow[] = []
  for (const line of stdout.split('\n')) {
    // GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS MEMBER-EPOCH ASSIGNMENT (client ids have no spaces here)
    const columns = line.trim().split(/\s+/)
    if (columns.length < 6 || columns[0] !== group || !/^\d+$/.test(columns[4]!)) continue
    rows.push({
      consumerId: columns[1]!,
      host: columns[2]!,
      clientId: columns[3]!,
      partitions: Number(columns[4]),
      memberEpoch: Number(columns[5]),
      assignment: columns[6] ?? '',
    })
  }
  return rows
}

/** The row of `kafka-share-groups.sh --describe --state --verbose`. */
export interface ShareGroupStateRow {
  coordinatorId: number
  state: string
  groupEpoch: number
  assignmentEpoch: number
  members: number
}

export async function shareGroupState(bootstrap: string, group: string): Promise<ShareGroupStateRow> {
  const stdout = await shareGroupCommand([bootstrap, '--describe', '--state', '--verbose', '--group', group])
  for (const line of stdout.split('\n')) {
    // GROUP COORDINATOR (ID) STATE GROUP-EPOCH ASSIGNMENT-EPOCH #MEMBERS; the coordinator is "host:port  (id)".
    const match = /^(\S+)\s+\S+\s+\((\d+)\)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line.trim())
    if (match === null || match[1] !== group) continue
    return {
      coordinatorId: Number(match[2]),
      state: match[3]!,
      groupEpoch: Number(match[4]),
      assignmentEpoch: Number(match[5]),
      members: Number(match[6]),
    }
  }
  throw new KafkaError(`ShareGroupCommand printed no state row for ${group}:\n${stdout}`, -1)
}

/** The share groups `kafka-share-groups.sh --list --state` prints, by id. */
export async function shareGroupList(bootstrap: string): Promise<Map<string, string>> {
  const stdout = await shareGroupCommand([bootstrap, '--list', '--state'])
  const groups = new Map<string, string>()
  for (const line of stdout.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/)
    if (columns.length === 2) groups.set(columns[0]!, columns[1]!)
  }
  return groups
}
