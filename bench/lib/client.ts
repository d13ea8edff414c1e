/** How the runner drives one client: every client, Node or not, answers a task with a report or a reason. */

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type BenchTask, type ChildReport, RESULT_PREFIX, UNSUPPORTED_PREFIX } from './task.ts'

/** Set by `npm run bench -- --cpu-prof DIR`: Node adapters then write a V8 CPU profile of each run there. */
export const CPU_PROFILE_DIR_VARIABLE = 'SAMSA_BENCH_CPU_PROF_DIR'

export type ClientOutcome =
  | { kind: 'measured'; report: ChildReport }
  /** The client cannot do this case (or cannot run here); `reason` goes into the report. */
  | { kind: 'unsupported'; reason: string }

export interface BenchClient {
  name: string
  /** Why the client cannot run at all on this machine, checked once before the cases; null when it can. */
  unavailable(): Promise<string | null>
  run(task: BenchTask, timeoutMs: number): Promise<ClientOutcome>
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/**
 * A client implemented by a Node adapter in bench/clients/<file>, run with the same Node as the runner in a
 * fresh process per task.
 */
export function nodeClient(
  name: string,
  adapterFile: string,
  unavailable: () => Promise<string | null> = async () => null,
): BenchClient {
  const adapterPath = fileURLToPath(new URL(`../clients/${adapterFile}`, import.meta.url))
  return {
    name,
    unavailable,
    run: (task, timeoutMs) =>
      new Promise((resolve, reject) => {
        // Node refuses --cpu-prof in NODE_OPTIONS, so the runner passes the profile directory down this way.
        const profileDir = process.env[CPU_PROFILE_DIR_VARIABLE]
        const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
        const child = spawn(process.execPath, [...profileArgs, adapterPath, JSON.stringify(task)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk
        })
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk
        })
        child.on('error', reject)
        child.on('close', (code, signal) => {
          clearTimeout(killer)
          const lines = stdout.split('\n')
          const result = lines.find((line) => line.startsWith(RESULT_PREFIX))
          const unsupported = lines.find((line) => line.startsWith(UNSUPPORTED_PREFIX))
          if (code === 0 && result !== undefined) {
            resolve({
              kind: 'measured',
              report: JSON.parse(result.slice(RESULT_PREFIX.length)) as ChildReport,
            })
          } else if (code === 0 && unsupported !== undefined) {
            resolve({ kind: 'unsupported', reason: unsupported.slice(UNSUPPORTED_PREFIX.length) })
          } else {
            const why =
              signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exited with ${code ?? signal}`
            reject(new Error(`${name} ${task.kind} ${why}:\n${tail(stderr || stdout)}`))
          }
        })
      }),
  }
}
