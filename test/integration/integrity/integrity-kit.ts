/**
 * Helpers for the group integrity tests: keyed backlogs written by samsa's producer, a long-running Java
 * console consumer whose output is parsed as it streams, and the bookkeeping that turns "who saw which
 * record" into the claims the tests make (nothing lost, each duplicate explained).
 */

import { createInterface } from 'node:readline'
import { Kafka } from '../../../src/kafka.ts'
import { spawnJavaTool } from '../../../src/testing/java-tools.ts'

/** A record's identity in a topic: `partition:offset`. Keys repeat across runs; positions do not. */
export type RecordId = string

export const recordId = (partition: number, offset: bigint): RecordId => `${partition}:${offset}`

export function parseRecordId(id: RecordId): { partition: number; offset: bigint } {
  const [partition, offset] = id.split(':') as [string, string]
  return { partition: Number(partition), offset: BigInt(offset) }
}

/**
 * Produces `count` records keyed `key-<i>` with acks=all and returns the id of every record the broker
 * acknowledged, which is the set a group must eventually see in full.
 */
export async function produceKeyed(
  bootstrap: string,
  topic: string,
  count: number,
  firstIndex = 0,
): Promise<Set<RecordId>> {
  const producer = new Kafka({ bootstrap }).producer({ acks: 'all', lingerMs: 5 })
  const ids = new Set<RecordId>()
  try {
    const chunk = 1000
    for (let start = 0; start < count; start += chunk) {
      const records = Array.from({ length: Math.min(chunk, count - start) }, (_, i) => ({
        topic,
        key: `key-${firstIndex + start + i}`,
        value: `value-${firstIndex + start + i}`,
      }))
      for (const written of await producer.sendBatch(records))
        ids.add(recordId(written.partition, written.offset))
    }
  } finally {
    await producer.close()
  }
  if (ids.size !== count) throw new Error(`produced ${count} records but got ${ids.size} distinct positions`)
  return ids
}

export { sleep, waitFor as waitUntil } from '../../../src/testing/wait-for.ts'

const FIELD = '\u001f'

/** The Java console consumer as a live group member; `seen` grows as it prints records. */
export interface JavaGroupMember {
  readonly seen: RecordId[]
  /** SIGTERM: the tool's shutdown hook closes its consumer (final auto-commit, LeaveGroup). */
  stop(): Promise<void>
}

/**
 * Starts `ConsoleConsumer` in `group` with the given consumer properties, printing partition, offset and key
 * of each record on its own line. Auto-commit stays at the Java default (on, every 5 s).
 */
export async function startJavaGroupMember(
  bootstrap: string,
  topic: string,
  group: string,
  properties: Record<string, string | number>,
): Promise<JavaGroupMember> {
  const formatter = {
    'print.partition': 'true',
    'print.offset': 'true',
    'print.key': 'true',
    'print.value': 'false',
    'key.separator': FIELD,
    'line.separator': '\n',
  }
  const child = await spawnJavaTool(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--group',
      group,
      ...Object.entries(formatter).flatMap(([key, value]) => ['--formatter-property', `${key}=${value}`]),
      ...Object.entries(properties).flatMap(([key, value]) => ['--command-property', `${key}=${value}`]),
    ],
    ['ignore', 'pipe', 'pipe'],
  )
  const seen: RecordId[] = []
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000)
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    // Partition:<p><FS>Offset:<o><FS><key>
    const [partition, offset] = line.split(FIELD)
    if (partition?.startsWith('Partition:') !== true || offset?.startsWith('Offset:') !== true) {
      throw new Error(`unexpected console consumer line ${JSON.stringify(line)}; stderr: ${stderr}`)
    }
    seen.push(recordId(Number(partition.slice(10)), BigInt(offset.slice(7))))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    seen,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(killTimer)
    },
  }
}

/** Ids seen more than once across all `views`, with how many times. */
export function duplicates(...views: readonly (readonly RecordId[])[]): Map<RecordId, number> {
  const counts = new Map<RecordId, number>()
  for (const view of views) for (const id of view) counts.set(id, (counts.get(id) ?? 0) + 1)
  for (const [id, count] of counts) if (count === 1) counts.delete(id)
  return counts
}

/** Ids of `expected` that none of `views` saw. */
export function missing(
  expected: ReadonlySet<RecordId>,
  ...views: readonly (readonly RecordId[])[]
): RecordId[] {
  const seen = new Set(views.flat())
  return [...expected].filter((id) => !seen.has(id))
}
