import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { brokerStatus, probeApiVersions, RigError, startBroker, stopBroker } from '../../../src/rig/index.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

const run = promisify(execFile)
const samsa = join(import.meta.dirname, '../../../bin/samsa.js')

/** Runs the CLI under the same Node as the tests; resolves even on a non-zero exit. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [samsa, ...args], { timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}

/** Whether `pid` is running. A zombie counts as gone: the broker may be our child, reaped a moment later. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  if (!existsSync(`/proc/${pid}/stat`)) return !existsSync('/proc')
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

// A second, private broker next to the shared one: its own port pair and state directory. Ports stay in
// 19000..19799 (this file adds up to 400 for its failure cases); the three-node test uses 19900..19905.
const port = 19_000 + Math.floor(Math.random() * 200) * 2
let stateDir = ''

describe('broker rig, one node', () => {
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'samsa-rig-'))
  })
  afterAll(async () => {
    await stopBroker({ port, stateDir })
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('starts, reports, reuses and stops a broker it owns', async () => {
    const first = await startBroker({ port, stateDir, progress: () => {} })
    expect(first.reused).toBe(false)
    expect(first.bootstrap).toBe(`127.0.0.1:${port}`)
    expect(first.pids).toHaveLength(1)
    const pid = first.pids[0]!
    expect(isAlive(pid)).toBe(true)
    expect((await probeApiVersions('127.0.0.1', port)).kind).toBe('kafka')

    const status = await brokerStatus({ port, stateDir })
    expect(status.state).toBe('running')
    expect(status.pids).toEqual([pid])
    expect(status.nodes[0]).toMatchObject({
      nodeId: 1,
      brokerPort: port,
      alive: true,
      answersApiVersions: true,
    })

    const again = await startBroker({ port, stateDir, progress: () => {} })
    expect(again.reused).toBe(true)
    expect(again.pids).toEqual([pid])

    const json = await cli([
      'broker',
      'status',
      '--port',
      String(port),
      '--state-dir',
      stateDir,
      '--format',
      'json',
    ])
    expect(json.code).toBe(0)
    const reported = JSON.parse(json.stdout) as { state: string; pids: number[]; bootstrap: string }
    expect(reported).toMatchObject({ state: 'running', pids: [pid], bootstrap: `127.0.0.1:${port}` })

    const stopped = await stopBroker({ port, stateDir })
    expect(stopped).toMatchObject({ wasRunning: true, stopped: [pid] })
    expect(isAlive(pid)).toBe(false)
    expect((await brokerStatus({ port, stateDir })).state).toBe('stopped')
    expect((await probeApiVersions('127.0.0.1', port, 500)).kind).toBe('closed')

    const nothing = await stopBroker({ port, stateDir })
    expect(nothing.wasRunning).toBe(false)
  })

  it('refuses a port that something else is listening on, naming the port', async () => {
    const squatter: Server = createServer()
    await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: 0 }, resolve))
    const busyPort = (squatter.address() as { port: number }).port
    const otherStateDir = mkdtempSync(join(tmpdir(), 'samsa-rig-busy-'))
    try {
      const attempt = startBroker({ port: busyPort, stateDir: otherStateDir, progress: () => {} })
      await expect(attempt).rejects.toBeInstanceOf(RigError)
      await expect(attempt).rejects.toMatchObject({ reason: 'port-busy' })
      await expect(attempt).rejects.toThrow(`port ${busyPort} is busy`)
    } finally {
      squatter.close()
      rmSync(otherStateDir, { recursive: true, force: true })
    }
  })
})

describe('broker rig start-up failures', () => {
  it('reports a configuration the storage tool rejects, without Java stack frames', async () => {
    const failingStateDir = mkdtempSync(join(tmpdir(), 'samsa-rig-format-'))
    try {
      const attempt = startBroker({
        port: port + 100,
        stateDir: failingStateDir,
        extraConfig: { 'num.io.threads': 'not-a-number' },
        progress: () => {},
      })
      await expect(attempt).rejects.toMatchObject({ reason: 'startup-failed' })
      await expect(attempt).rejects.toThrow(/num\.io\.threads/)
      await expect(attempt).rejects.not.toThrow(/\n\s+at /)
    } finally {
      rmSync(failingStateDir, { recursive: true, force: true })
    }
  })

  it('reports a broker that exits during start-up with the end of its log', async () => {
    // The client listener is moved onto a port that is taken, so the JVM formats fine but dies binding it.
    const squatter: Server = createServer()
    await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: 0 }, resolve))
    const busyPort = (squatter.address() as { port: number }).port
    const failingStateDir = mkdtempSync(join(tmpdir(), 'samsa-rig-fail-'))
    const failingPort = port + 200
    try {
      const attempt = startBroker({
        port: failingPort,
        stateDir: failingStateDir,
        extraConfig: {
          listeners: `PLAINTEXT://127.0.0.1:${busyPort},CONTROLLER://127.0.0.1:${failingPort + 1}`,
        },
        progress: () => {},
      })
      await expect(attempt).rejects.toMatchObject({ reason: 'startup-failed' })
      await expect(attempt).rejects.toThrow(/exited during start-up; last lines of .*broker\.log/)
      await expect(attempt).rejects.toThrow(new RegExp(`${busyPort}|Address already in use`))
      expect((await brokerStatus({ port: failingPort, stateDir: failingStateDir })).state).toBe('stopped')
    } finally {
      squatter.close()
      await stopBroker({ port: failingPort, stateDir: failingStateDir })
      rmSync(failingStateDir, { recursive: true, force: true })
    }
  })
})

describe('samsa CLI', () => {
  it('with KAFKA_BOOTSTRAP set, starts nothing and prints that address last', async () => {
    const bootstrap = kafkaBootstrap()
    const { stdout, stderr } = await run(process.execPath, [samsa, 'broker', 'start'], {
      env: { ...process.env, KAFKA_BOOTSTRAP: bootstrap },
      timeout: 30_000,
    })
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(bootstrap)
    expect(stderr).toContain('starting nothing')
  })

  it('rejects an unknown flag, naming it, without a stack trace', async () => {
    const result = await cli(['--bogus'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("unknown option '--bogus'")
    expect(result.stderr).not.toContain('    at ')
  })

  it('rejects an unknown command', async () => {
    const result = await cli(['frobnicate'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("unknown command 'frobnicate'")
  })

  it('prints an expected error as one samsa: line and exits 1', async () => {
    const result = await run(process.execPath, [samsa, 'broker', 'start'], {
      env: { ...process.env, KAFKA_BOOTSTRAP: '127.0.0.1:1' },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toMatch(/^samsa: no broker in KAFKA_BOOTSTRAP answered: 127\.0\.0\.1:1/)
  })

  it('names a missing java', async () => {
    const emptyStateDir = mkdtempSync(join(tmpdir(), 'samsa-rig-nojava-'))
    try {
      const result = await run(
        process.execPath,
        [samsa, 'broker', 'start', '--port', String(port + 300), '--state-dir', emptyStateDir],
        { env: { ...process.env, KAFKA_BOOTSTRAP: '', JAVA_HOME: '/nonexistent-jdk' }, timeout: 60_000 },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^samsa: cannot run \/nonexistent-jdk\/bin\/java/m)
    } finally {
      rmSync(emptyStateDir, { recursive: true, force: true })
    }
  })

  it('names a missing mvn when the jar cache is empty', async () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'samsa-rig-nocache-'))
    try {
      const result = await run(process.execPath, [samsa, 'broker', 'start', '--port', String(port + 400)], {
        env: { ...process.env, KAFKA_BOOTSTRAP: '', SAMSA_CACHE_DIR: emptyCache, PATH: '/nonexistent-bin' },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^samsa: cannot run mvn/m)
    } finally {
      rmSync(emptyCache, { recursive: true, force: true })
    }
  })

  it('prints help for the broker group', async () => {
    const result = await cli(['broker', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/start \[options\]/)
    expect(result.stdout).toMatch(/status \[options\]/)
  })

  it('reports a stopped rig as JSON', async () => {
    const emptyStateDir = mkdtempSync(join(tmpdir(), 'samsa-rig-empty-'))
    try {
      const result = await cli([
        'broker',
        'status',
        '--port',
        '19999',
        '--state-dir',
        emptyStateDir,
        '--format',
        'json',
      ])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({ state: 'stopped', pids: [] })
    } finally {
      rmSync(emptyStateDir, { recursive: true, force: true })
    }
  })
})
