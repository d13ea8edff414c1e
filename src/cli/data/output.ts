/**
 * Writing data to stdout the way a Unix filter should: waiting for the pipe to drain instead of buffering
 * without bound, and treating a closed pipe (`samsa consume … | head`) as the reader's way of saying "enough"
 * rather than as an error.
 */

import { once } from 'node:events'
import type { Writable } from 'node:stream'

/** Resolves when the reader at the other end of the pipe went away. */
export class DataOutput {
  readonly #stream: Writable
  #closed = false
  readonly #onClose: Array<() => void> = []

  constructor(stream: Writable) {
    this.#stream = stream
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
      this.#markClosed()
    })
  }

  /** True once the reader closed the pipe; further writes are dropped. */
  get closed(): boolean {
    return this.#closed
  }

  /** Calls `listener` once when the reader closes the pipe. */
  onClose(listener: () => void): void {
    if (this.#closed) listener()
    else this.#onClose.push(listener)
  }

  /** Writes `data`, waiting for the stream to drain when its buffer is full. */
  async write(data: string | Buffer): Promise<void> {
    if (this.#closed) return
    if (this.#stream.write(data)) return
    await Promise.race([once(this.#stream, 'drain'), new Promise<void>((resolve) => this.onClose(resolve))])
  }

  /** Resolves when everything written so far has been handed to the operating system. */
  async end(): Promise<void> {
    if (this.#closed || this.#stream.writableFinished) return
    await new Promise<void>((resolve) => {
      this.onClose(resolve)
      this.#stream.write('', () => resolve())
    })
  }

  #markClosed(): void {
    if (this.#closed) return
    this.#closed = true
    for (const listener of this.#onClose.splice(0)) listener()
  }
}
