/** The member processes of one scenario: started, SIGKILLed, SIGTERMed and waited for. */

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Fault } from './fault-proxy.ts'
import type { MemberOptions } from './types.ts'

const memberScript = fileURLToPath(new URL('./member.ts', import.meta.url))

export interface Member {
  name: string
  options: MemberOptions
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** The member's `failed <message>` line, if its run ended in error. */
  failure: string | undefined
  /** Last lines the member wrote to stderr (why it died, if it did). */
  stderr(): string
  /** SIGTERM sent: it is draining and leaving, no longer a member to count on. */
  stopping: boolean
  /** run() has started (the member printed `running`): from here on SIGTERM means drain, commit, leave. */
  ready: boolean
}

export class Fleet {
  readonly members = new Set<Member>()
  kills = 0
  #next = 0

  private readonly ledgerDir: string
  private readonly base: Omit<MemberOptions, 'ledger' | 'transactionalId'> & { transactionalId?: string }

  constructor(
    ledgerDir: string,
    base: Omit<MemberOptions, 'ledger' | 'transactionalId'> & { transactionalId?: string },
  ) {
    this.ledgerDir = ledgerDir
    this.base = base
  }

  /** Members whose stop() reported finished records left uncommitted (see stop()). */
  readonly stopsLeftUncommitted: string[] = []

  /** Starts a member with a ledger of its own; `overrides` changes its options (e.g. a fault proxy). */
  start(overrides: Partial<MemberOptions> = {}): Member {
    const name = `m${String(this.#next++).padStart(3, '0')}`
    const options: MemberOptions = {
      ...this.base,
      ledger: join(this.ledgerDir, `${name}.ledger`),
      // One transactional id per member slot: a replacement passes its victim's id (overrides), so its
      // InitProducerId fences the dead process and aborts the transaction it left open at once, instead of
      // the coordinator waiting out the transaction timeout.
      ...(this.base.transactionalId === undefined
        ? {}
        : { transactionalId: `${this.base.transactionalId}-${name}` }),
      ...overrides,
    }
    const child = spawn(process.execPath, [memberScript, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe', ...(options.faultProxy === true ? (['ipc'] as const) : [])],
    })
    let stderr = ''
    const log = createWriteStream(join(this.ledgerDir, `${name}.log`))
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-3000)
      log.write(chunk)
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    )
    const member: Member = {
      name,
      options,
      child,
      exited,
      stderr: () => stderr,
      failure: undefined,
      stopping: false,
      ready: false,
    }
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      if (text.includes('running')) member.ready = true
      // A run that ended in error says why on stdout (`failed <message>`): keep it for the report.
      const failed = text.split('\n').find((line) => line.startsWith('failed '))
      if (failed !== undefined) member.failure = failed
    })
    this.members.add(member)
    void exited.then(() => this.members.delete(member))
    return member
  }

  live(): Member[] {
    return [...this.members].filter(
      (m) => !m.stopping && m.child.exitCode === null && m.child.signalCode === null,
    )
  }

  async kill(member: Member): Promise<void> {
    member.child.kill('SIGKILL')
    this.kills++
    await member.exited
  }

  /** SIGTERM: run() drains, commits and leaves. Returns members that did not exit 0 (with why). */
  async stop(member: Member, timeoutMs = 45_000): Promise<string | null> {
    member.stopping = true
    member.child.kill('SIGTERM')
    const timer = setTimeout(() => member.child.kill('SIGKILL'), timeoutMs)
    const { code, signal } = await member.exited
    clearTimeout(timer)
    // Still loading when the signal came: it never ran, so there was nothing to drain or commit.
    if (code === 0 || (!member.ready && signal === 'SIGTERM')) return null
    // stop() said it could not commit what was finished (the group had moved the partitions on, e.g. while
    // the broker was coming back): the documented at-least-once outcome, whose re-deliveries the checker
    // counts as duplicates and bounds by the uncommitted window. Kept apart from failures.
    if (code === 1 && member.failure?.startsWith('failed UncommittedOffsetsError:')) {
      this.stopsLeftUncommitted.push(`${member.name}: ${member.failure}`)
      return null
    }
    const why = [member.failure, member.stderr().trim().slice(-500)].filter((part) => part).join(' ')
    return `${member.name} exited ${code ?? signal}${signal === 'SIGKILL' ? ' (did not stop in time)' : ''}: ${why}`
  }

  async stopAll(): Promise<string[]> {
    const results = await Promise.all(this.live().map((m) => this.stop(m)))
    return results.filter((r): r is string => r !== null)
  }

  fault(member: Member, fault: Fault): void {
    member.child.send?.(fault)
  }

  /** Kills whatever is left (cleanup after a failure). */
  async killAll(): Promise<void> {
    const running = [...this.members].filter((m) => m.child.exitCode === null && m.child.signalCode === null)
    await Promise.all(running.map((m) => this.kill(m)))
  }
}
