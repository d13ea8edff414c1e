import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isNodeProcessAlive, type RigRecordNode } from '../../../src/rig/rig-record.ts'

// A stand-in for a broker JVM: a process whose command line names kafka.Kafka and the node's
// server.properties. With `leaderExits`, its first thread leaves through the exit system call (not
// exit_group) while a second thread runs on, the way a JVM's threads wind down one by one at shutdown.
const STAND_IN = `
import ctypes, sys, threading, time
threading.Thread(target=lambda: time.sleep(float(sys.argv[3]))).start()
print('up', flush=True)
if sys.argv[4] == 'leaderExits':
    time.sleep(0.2)
    ctypes.CDLL(None, use_errno=True).syscall(60, 0)
time.sleep(60)
`

const children: ChildProcess[] = []
const dirs: string[] = []

function standIn(
  threadSeconds: number,
  mode: 'leaderExits' | 'whole',
): { child: ChildProcess; node: RigRecordNode } {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-liveness-'))
  dirs.push(dir)
  const child = spawn('python3', [
    '-c',
    STAND_IN,
    'kafka.Kafka',
    join(dir, 'server.properties'),
    String(threadSeconds),
    mode,
  ])
  children.push(child)
  const node = { nodeId: 1, brokerPort: 1, controllerPort: 2, dir, pid: child.pid! } as RigRecordNode
  return { child, node }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return condition()
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('isNodeProcessAlive', () => {
  it('is true for the node the record names and false once it has exited', async () => {
    const { child, node } = standIn(60, 'whole')
    await once(child.stdout!, 'data')
    expect(isNodeProcessAlive(node)).toBe(true)
    expect(isNodeProcessAlive({ ...node, dir: join(node.dir, 'elsewhere') })).toBe(false)
    child.kill('SIGKILL')
    await once(child, 'exit')
    expect(isNodeProcessAlive(node)).toBe(false)
  })

  it('stays true while any thread runs after the first one has exited, then turns false', async () => {
    const { child, node } = standIn(1.5, 'leaderExits')
    await once(child.stdout!, 'data')
    // The first thread is a zombie and the command line is empty well before the second thread ends.
    const leaderGone = await waitFor(() => {
      try {
        return readFileSync(`/proc/${node.pid}/stat`, 'utf8').includes(') Z ')
      } catch {
        return false
      }
    }, 1000)
    expect(leaderGone).toBe(true)
    expect(isNodeProcessAlive(node)).toBe(true)
    expect(await waitFor(() => !isNodeProcessAlive(node), 5000)).toBe(true)
  })
})
