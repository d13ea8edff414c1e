/** Runs blocking-member.ts as a child process and collects the events it prints. */

import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { waitFor } from '../../../src/testing/wait-for.ts'
import type { BlockingMemberOptions } from './blocking-member.ts'

export interface MemberEvent {
  type: string
  partitions?: number[]
  ok?: boolean
  error?: string
  memberId?: string
  /** When the parent read the line (performance.now()). */
  at: number
}

export class MemberProcess {
  readonly events: MemberEvent[] = []
  private readonly child: ChildProcess
  private stderr = ''

  constructor(options: BlockingMemberOptions) {
    this.child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'blocking-member.ts'), JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let pending = ''
    this.child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        if (line.trim() !== '') this.events.push({ ...JSON.parse(line), at: performance.now() })
      }
    })
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString()
    })
  }

  find(type: string): MemberEvent | undefined {
    return this.events.find((event) => event.type === type)
  }

  async waitFor(type: string, timeoutMs: number): Promise<MemberEvent> {
    await waitFor(
      `the member process to report '${type}'`,
      () => this.find(type) !== undefined || this.child.exitCode !== null,
      timeoutMs,
    )
    const event = this.find(type)
    if (event === undefined) {
      throw new Error(`member exited (code ${this.child.exitCode}) before '${type}'; stderr:\n${this.stderr}`)
    }
    return event
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}
