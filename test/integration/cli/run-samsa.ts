/** Runs the `samsa` CLI as a child process, the way a user would, and collects what it printed. */

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const node = `${repoRoot}node_modules/.bin/node`
const entry = `${repoRoot}bin/samsa.js`

export interface SamsaResult {
  code: number | null
  stdout: Buffer
  stderr: string
}

export interface RunSamsaOptions {
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string | Buffer
  /** Overrides for the child's environment; KAFKA_BOOTSTRAP defaults to the test broker. */
  env?: Record<string, string | undefined>
  timeoutMs?: number
}

export function runSamsa(args: readonly string[], options: RunSamsaOptions = {}): Promise<SamsaResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [entry, ...args], {
      env: { ...process.env, KAFKA_BOOTSTRAP: kafkaBootstrap(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`samsa ${args.join(' ')} did not finish in time; stderr:\n${stderr}`))
    }, options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(stdout), stderr })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** The lines of a command's stdout, without the final newline's empty string. */
export function outputLines(result: SamsaResult): string[] {
  const text = result.stdout.toString('utf8')
  if (text === '') return []
  return text.replace(/\n$/, '').split('\n')
}
