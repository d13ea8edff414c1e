/**
 * The ledger: what each member process processed, one append-only file per process. A line is written (and
 * fsynced) inside the handler before it returns, so for the Kafka-committing modes "in the ledger" is a
 * precondition of "committed". SIGKILL alone never loses what write(2) handed the kernel; the fsync makes
 * the ledger hold even if the machine went down, which is the usual contract of such a sink.
 *
 * Lines: `P <ms> <partition> <offset> <id>` processed; `A <ms> <p,p,...>` partitions assigned (a new
 * consumption session for each); `V <ms> <p,p,...>` revoked or lost.
 */

import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface ProcessedEntry {
  kind: 'processed'
  process: string
  /** Position in that process's ledger: breaks ties between entries of the same millisecond. */
  seq: number
  time: number
  partition: number
  offset: bigint
  id: string
}

export interface SessionEntry {
  kind: 'assigned' | 'revoked'
  process: string
  seq: number
  time: number
  partitions: number[]
}

export type LedgerEntry = ProcessedEntry | SessionEntry

/** A member's ledger file, written synchronously so nothing sits in a user-space buffer at a kill. */
export class LedgerWriter {
  readonly #fd: number
  readonly #fsync: boolean

  constructor(path: string, fsync = true) {
    this.#fd = openSync(path, 'a')
    this.#fsync = fsync
  }

  processed(partition: number, offset: bigint, id: string): void {
    this.#write(`P ${Date.now()} ${partition} ${offset} ${id}\n`)
  }

  session(kind: 'assigned' | 'revoked', partitions: readonly number[]): void {
    this.#write(`${kind === 'assigned' ? 'A' : 'V'} ${Date.now()} ${partitions.join(',')}\n`)
  }

  close(): void {
    closeSync(this.#fd)
  }

  #write(line: string): void {
    writeSync(this.#fd, line)
    if (this.#fsync) fsyncSync(this.#fd)
  }
}

/** Reads every `*.ledger` file in `dir`; a torn last line (a kill mid-write) is ignored. */
export function readLedgers(dir: string): LedgerEntry[] {
  const entries: LedgerEntry[] = []
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.ledger'))
    .sort()) {
    const process = file.slice(0, -'.ledger'.length)
    const text = readFileSync(join(dir, file), 'utf8')
    const lines = text.split('\n')
    // The last element is '' after a final newline, or a partial line cut by a kill.
    lines.pop()
    lines.forEach((line, seq) => {
      const fields = line.split(' ')
      const time = Number(fields[1])
      if (fields[0] === 'P' && fields.length === 5) {
        entries.push({
          kind: 'processed',
          process,
          seq,
          time,
          partition: Number(fields[2]),
          offset: BigInt(fields[3]!),
          id: fields[4]!,
        })
      } else if (fields[0] === 'A' || fields[0] === 'V') {
        const partitions = fields[2] === '' || fields[2] === undefined ? [] : fields[2].split(',').map(Number)
        entries.push({ kind: fields[0] === 'A' ? 'assigned' : 'revoked', process, seq, time, partitions })
      } else {
        throw new Error(`${file}:${seq + 1}: unreadable ledger line ${JSON.stringify(line)}`)
      }
    })
  }
  return entries
}
