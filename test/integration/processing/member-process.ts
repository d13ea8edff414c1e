/**
 * What the process-level processing tests (a member SIGKILLed or SIGTERMed mid-backlog, then a successor)
 * share: a topic with a backlog, a member script run as its own process, and the ledger it appends to.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Kafka } from '../../../src/index.ts'

/** A member process: killed or signalled by the test, `exited` resolves with its exit code (null if killed). */
export interface MemberProcess {
  child: ChildProcess
  exited: Promise<number | null>
}

/** Runs `script` (a member taking its options as one JSON argument) as a process of its own. */
export function spawnMember(script: string, options: object): MemberProcess {
  const child = spawn(process.execPath, [script, JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return { child, exited }
}

/** The lines a member's ledger holds so far (none before the member created it). */
export function ledgerLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/**
 * Creates `topic` and fills each of its partitions with `perPartition` records valued `m<i>` and keyed
 * `k<i % 8>` (a few keys per partition, for the key-ordering tests).
 */
export async function createBacklog(
  kafka: Kafka,
  topic: string,
  partitions: number,
  perPartition: number,
): Promise<void> {
  const admin = kafka.admin()
  await admin.createTopics([{ topic, partitions }])
  await admin.close()
  const producer = kafka.producer()
  for (let partition = 0; partition < partitions; partition++) {
    await producer.sendBatch(
      Array.from({ length: perPartition }, (_, i) => ({
        topic,
        partition,
        key: `k${i % 8}`,
        value: `m${i}`,
      })),
    )
  }
  await producer.close()
}
