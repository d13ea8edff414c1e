import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { expect, it } from 'vitest'
import { Admin } from '../../../src/admin/admin.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'

const main = new URL('../../../src/cli/main.ts', import.meta.url).pathname

it('samsa broker start --embedded serves until SIGTERM; its first stdout line is the bootstrap', async () => {
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const child = spawn(
    process.execPath,
    [main, 'broker', 'start', '--embedded', '--nodes', '2', '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const lines = createInterface({ input: child.stdout })
  const [bootstrap] = (await once(lines, 'line')) as [string]
  expect(bootstrap).toBe(`127.0.0.1:${port},127.0.0.1:${port + 1}`)
  const cluster = Cluster.create({ bootstrap, clientId: 'embedded-cli-test' })
  try {
    await new Admin(cluster).createTopics([{ topic: 'embedded-cli', partitions: 2 }])
    expect(await new Admin(cluster).listTopics()).toContain('embedded-cli')
  } finally {
    await cluster.close()
  }
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  expect(code).toBe(0)
  expect(stderr).toContain('in-process broker stopped')
})
