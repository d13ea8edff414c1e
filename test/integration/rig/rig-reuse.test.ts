import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { brokerStatus, RigError, startBroker, stopBroker } from '../../../src/rig/index.ts'

// Ports 19820..19871: clear of broker-rig.test.ts (19000..19799) and three-node.test.ts (19900..19905).
const port = 19_820 + Math.floor(Math.random() * 8) * 4
const stateDirs: string[] = []

function freshStateDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `samsa-rig-${label}-`))
  stateDirs.push(dir)
  return dir
}

async function squat(busyPort: number): Promise<Server> {
  // Connections are dropped at once: an open one (the rig probes who holds the port) would keep close() waiting.
  const server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: busyPort }, resolve)
  })
  return server
}

afterAll(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true })
})

describe('broker rig reuse', () => {
  it('refuses to reuse a running rig whose security mode or node count differs', async () => {
    const stateDir = freshStateDir('reuse')
    try {
      const plain = await startBroker({ port, stateDir, heapMb: 384, progress: () => {} })
      expect(plain.reused).toBe(false)
      expect(plain.security).toBeUndefined()

      const secure = startBroker({ port, stateDir, security: true, progress: () => {} })
      await expect(secure).rejects.toBeInstanceOf(RigError)
      await expect(secure).rejects.toMatchObject({ reason: 'rig-mismatch' })
      await expect(secure).rejects.toThrow(
        `a 1-node rig without security is already running on port ${port}, but a 1-node rig with security was asked for; stop it first (samsa broker stop --port ${port})`,
      )

      const threeNodes = startBroker({ port, stateDir, nodes: 3, progress: () => {} })
      await expect(threeNodes).rejects.toMatchObject({ reason: 'rig-mismatch' })
      await expect(threeNodes).rejects.toThrow(`samsa broker stop --port ${port}`)

      // The refusals left the running rig alone, and asking for what it is still reuses it.
      const status = await brokerStatus({ port, stateDir })
      expect(status).toMatchObject({ state: 'running', pids: plain.pids })
      const same = await startBroker({ port, stateDir, progress: () => {} })
      expect(same).toMatchObject({ reused: true, pids: plain.pids })
      expect(same.security).toBeUndefined()
    } finally {
      await stopBroker({ port, stateDir })
    }
  })
})

describe('broker rig port check', () => {
  // Nothing is formatted or spawned in these cases, so they need neither Java nor the jars.
  const base = port + 40

  it.each([
    { what: 'the controller port', offset: 1, security: false },
    { what: 'the SASL_SSL port', offset: 2, security: true },
    { what: 'the SSL port', offset: 3, security: true },
  ])('names $what when it is busy', async ({ offset, security }) => {
    const busyPort = base + offset
    const squatter = await squat(busyPort)
    const stateDir = freshStateDir('busy')
    try {
      const attempt = startBroker({ port: base, stateDir, security, progress: () => {} })
      await expect(attempt).rejects.toMatchObject({ reason: 'port-busy' })
      await expect(attempt).rejects.toThrow(`port ${busyPort} is busy with another process`)
      expect((await brokerStatus({ port: base, stateDir })).state).toBe('stopped')
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }
  })
})
