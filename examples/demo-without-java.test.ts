/**
 * `npm run demo` on a machine with Node alone: the demo's own entry point, run with a PATH holding only
 * Node's directory and no JAVA_HOME, finds no Java, says so, runs on samsa's in-process broker and ends with
 * nothing lost. (A smaller run than the demo's 100,000 orders, through its --orders flag.)
 */

import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { expect, it } from 'vitest'

it('without Java the demo picks the in-process broker, says so, and loses no order', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirname(process.execPath) }
  delete env.JAVA_HOME
  delete env.KAFKA_BOOTSTRAP
  const child = spawn(process.execPath, [join(import.meta.dirname, 'demo.ts'), '--orders=6000'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  expect(code, output).toBe(0)
  expect(output).toContain("using samsa's in-process broker")
  expect(output).toContain('(no Java found;')
  expect(output).toContain('produced 6,000 orders')
  expect(output).toMatch(/lost +0/)
}, 120_000)
