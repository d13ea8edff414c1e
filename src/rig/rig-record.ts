/**
 * The rig's record of what it started: `<stateDir>/rig.json`, written right after the JVMs are spawned so a
 * later `stop` can find them even if start-up failed or the starting process died. Stopping and reuse act
 * only on processes named here, and only while they still look like the JVM the rig launched.
 */

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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

/**
 * True when `pid` is a live process running this node's server.properties. Where /proc exists the command
 * line is checked too, so a pid recycled by an unrelated process is never mistaken for the broker (or
 * killed by `stop`); a zombie counts as dead.
 */
export function isNodeProcessAlive(node: RigRecordNode): boolean {
  try {
    process.kill(node.pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' && !existsSync('/proc')
  }
  if (!existsSync('/proc')) return true
  try {
    const stat = readFileSync(`/proc/${node.pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return false
    const commandLine = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8').split('\0')
    return commandLine.includes('kafka.Kafka') && commandLine.includes(join(node.dir, 'server.properties'))
  } catch {
    return false
  }
}
