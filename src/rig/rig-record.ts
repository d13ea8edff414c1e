/**
 * The rig's record of what it started: `<stateDir>/rig.json`, written right after the JVMs are spawned so a
 * later `stop` can find them even if start-up failed or the starting process died. Stopping and reuse act
 * only on processes named here, and only while they still look like the JVM the rig launched.
 */

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RigNode } from './server-properties.ts'

export interface RigRecordNode extends RigNode {
  pid: number
}

export interface RigRecord {
  clusterId: string
  bootstrap: string
  nodes: RigRecordNode[]
  startedAt: string
  /**
   * Whether the rig was started with its secure listeners. Absent in records written before it was kept;
   * {@link rigHasSecurity} then reads the answer from the first node's server.properties.
   */
  security?: boolean
}

function recordPath(stateDir: string): string {
  return join(stateDir, 'rig.json')
}

export function readRigRecord(stateDir: string): RigRecord | undefined {
  const path = recordPath(stateDir)
  if (!existsSync(path)) return undefined
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as RigRecord
    return Array.isArray(record.nodes) ? record : undefined
  } catch {
    // A torn write leaves nothing worth trusting; treat it as no record.
    return undefined
  }
}

/** Whether the recorded rig opened the secure listeners of security mode. */
export function rigHasSecurity(record: RigRecord): boolean {
  if (record.security !== undefined) return record.security
  const first = record.nodes[0]
  if (first === undefined) return false
  try {
    return readFileSync(join(first.dir, 'server.properties'), 'utf8').includes('SASL_SSL')
  } catch {
    return false
  }
}

export function writeRigRecord(stateDir: string, record: RigRecord): void {
  writeFileSync(recordPath(stateDir), `${JSON.stringify(record, null, 2)}\n`)
}

export function removeRigRecord(stateDir: string): void {
  rmSync(recordPath(stateDir), { force: true })
}

// PF_KTHREAD in /proc/<pid>/stat's flags: a kernel thread never runs server.properties.
const KERNEL_THREAD_FLAG = 0x00200000

/**
 * True when `pid` is a live process running this node's server.properties. Where /proc exists the command
 * line is checked too, so a pid recycled by an unrelated process is never mistaken for the broker (or
 * killed by `stop`).
 *
 * A JVM does not exit all at once. Its first thread can be a zombie, and its memory (hence its command
 * line) gone, while other threads still hold the listening sockets; a stop that believed it then would
 * return while the broker port still accepts connections. So the process counts as alive until none of
 * its threads runs.
 */
export function isNodeProcessAlive(node: RigRecordNode): boolean {
  try {
    process.kill(node.pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' && !existsSync('/proc')
  }
  if (!existsSync('/proc')) return true
  const leader = readTaskStat(`/proc/${node.pid}/stat`)
  if (leader === undefined || (leader.flags & KERNEL_THREAD_FLAG) !== 0) return false
  if (leader.state === 'Z' || leader.state === 'X') return hasRunningThread(node.pid)
  let commandLine: string
  try {
    commandLine = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8')
  } catch {
    return hasRunningThread(node.pid)
  }
  // Empty while the process is exiting: its memory is released before its sockets are closed.
  if (commandLine === '') return hasRunningThread(node.pid)
  const args = commandLine.split('\0')
  return args.includes('kafka.Kafka') && args.includes(join(node.dir, 'server.properties'))
}

function readTaskStat(path: string): { state: string; flags: number } | undefined {
  try {
    const stat = readFileSync(path, 'utf8')
    // The command name in parentheses may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0] ?? '', flags: Number(fields[6] ?? 0) }
  } catch {
    return undefined
  }
}

function hasRunningThread(pid: number): boolean {
  let threads: string[]
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return false
  }
  return threads.some((tid) => {
    const state = readTaskStat(`/proc/${pid}/task/${tid}/stat`)?.state
    return state !== undefined && state !== 'Z' && state !== 'X'
  })
}
