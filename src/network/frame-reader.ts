/**
 * Splits the byte stream of a socket into Kafka frames (a big-endian int32 size followed by that many bytes).
 *
 * TCP delivers chunks with no relation to frame boundaries: one chunk may hold many small responses, and one
 * large Fetch response may arrive in hundreds of chunks. The reader therefore:
 * - hands out frames lying wholly inside a chunk as zero-copy views of that chunk;
 * - for a frame spanning chunks, allocates exactly the frame's size once, when its size prefix is known, and
 *   copies each chunk's share into it, so assembling an N-byte frame costs O(N) however it was split;
 * - checks the size prefix against a limit before allocating anything, so a corrupt prefix (or a peer that
 *   is not a Kafka broker, e.g. a TLS or HTTP server answering with text) fails fast instead of allocating
 *   gigabytes or waiting forever for bytes that will never come.
 *
 * A socket that can read into given buffers (see SocketReadTarget) asks {@link FrameReader.readTarget}
 * where to put each read: while a large frame is being assembled, that is the rest of the frame itself, so
 * a Fetch response of megabytes arrives with no copy at all; otherwise a scratch buffer reused from read to
 * read, out of which frames are copied (they outlive it).
 */

import { ProtocolDecodeError } from '../common/errors.ts'

/**
 * Default bound on one response frame: 256 MiB. A Fetch response is bounded by the consumer's
 * `fetch.max.bytes` (50 MiB by default) plus at most one oversized batch, so legitimate frames stay far
 * below this, while the first four bytes of a TLS alert or an HTTP response decode to sizes above it.
 */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024

const SIZE_PREFIX_BYTES = 4

/**
 * A frame with at least this much still to come is read into directly. Below it, a read of exactly the rest
 * would end short of the next frame's bytes and cost another read for them; copying that little is cheaper.
 */
const DIRECT_READ_MIN_BYTES = 32 * 1024

/** The buffer reads land in when they do not go straight into a frame: what Node reads at a time. */
const SCRATCH_BYTES = 64 * 1024

/** Receives each complete frame (the bytes after the size prefix). The buffer is the receiver's to keep. */
export type FrameHandler = (frame: Buffer) => void

export class FrameReader {
  private readonly maxFrameBytes: number
  private readonly onFrame: FrameHandler
  /** Collects a size prefix split across chunks. */
  private readonly sizePrefix = Buffer.alloc(SIZE_PREFIX_BYTES)
  private sizePrefixFilled = 0
  /** The frame being assembled across chunks, or null between frames. */
  private partial: Buffer | null = null
  private partialFilled = 0
  /** Reused by reads that do not go into a frame directly; allocated on first use. */
  private scratch: Buffer | null = null
  /** The rest of {@link partial}, when the read in progress goes there. */
  private directTarget: Uint8Array | null = null

  constructor(onFrame: FrameHandler, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.onFrame = onFrame
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes received that belong to a frame not yet complete. */
  get bufferedBytes(): number {
    return this.sizePrefixFilled + this.partialFilled
  }

  /**
   * Consumes one chunk, calling the frame handler for every frame it completes, in order.
   * Throws {@link ProtocolDecodeError} on a negative or oversized size prefix; the stream cannot be
   * resynchronised after that, so the caller must drop the connection.
   */
  push(chunk: Buffer): void {
    this.consume(chunk, false)
  }

  /** Where the socket's next read should go: the rest of a large frame, else the scratch buffer. */
  readTarget(): Uint8Array {
    const partial = this.partial
    if (partial !== null && partial.length - this.partialFilled >= DIRECT_READ_MIN_BYTES) {
      this.directTarget = partial.subarray(this.partialFilled)
      return this.directTarget
    }
    this.directTarget = null
    this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES)
    return this.scratch
  }

  /**
   * `bytes` bytes were read into the start of `target`, the buffer {@link readTarget} returned. Calls the
   * frame handler and throws like {@link push}.
   */
  filled(bytes: number, target: Uint8Array): void {
    const frame = this.partial
    if (target === this.directTarget && frame !== null) {
      this.directTarget = null
      this.partialFilled += bytes
      if (this.partialFilled === frame.length) {
        this.partial = null
        this.partialFilled = 0
        this.onFrame(frame)
      }
      return
    }
    this.consume(Buffer.from(target.buffer, target.byteOffset, bytes), true)
  }

  /** Takes the frames out of `chunk`; a `reused` chunk is overwritten by the next read, so frames are copied. */
  private consume(chunk: Buffer, reused: boolean): void {
    let offset = 0
    const end = chunk.length
    while (offset < end) {
      if (this.partial !== null) {
        offset = this.continuePartial(chunk, offset)
        continue
      }

      let size: number
      if (this.sizePrefixFilled === 0 && end - offset >= SIZE_PREFIX_BYTES) {
        size = chunk.readInt32BE(offset)
        offset += SIZE_PREFIX_BYTES
      } else {
        const take = Math.min(SIZE_PREFIX_BYTES - this.sizePrefixFilled, end - offset)
        chunk.copy(this.sizePrefix, this.sizePrefixFilled, offset, offset + take)
        this.sizePrefixFilled += take
        offset += take
        if (this.sizePrefixFilled < SIZE_PREFIX_BYTES) return
        this.sizePrefixFilled = 0
        size = this.sizePrefix.readInt32BE(0)
      }
      this.checkSize(size)

      if (end - offset >= size) {
        // The common case for small responses: the whole frame is in this chunk, so no copy at all (unless
        // the chunk is a scratch buffer the next read reuses).
        const frame = chunk.subarray(offset, offset + size)
        this.onFrame(reused ? Buffer.from(frame) : frame)
        offset += size
      } else {
        this.partial = Buffer.allocUnsafe(size)
        this.partialFilled = 0
      }
    }
  }

  /** Drops any partially received frame, e.g. when the connection it came from is gone. */
  reset(): void {
    this.sizePrefixFilled = 0
    this.partial = null
    this.partialFilled = 0
    this.directTarget = null
  }

  private continuePartial(chunk: Buffer, offset: number): number {
    const frame = this.partial!
    const take = Math.min(frame.length - this.partialFilled, chunk.length - offset)
    chunk.copy(frame, this.partialFilled, offset, offset + take)
    this.partialFilled += take
    if (this.partialFilled === frame.length) {
      this.partial = null
      this.partialFilled = 0
      this.onFrame(frame)
    }
    return offset + take
  }

  private checkSize(size: number): void {
    if (size < 0 || size > this.maxFrameBytes) {
      throw new ProtocolDecodeError(
        `received a frame size of ${size} bytes, outside the allowed 0..${this.maxFrameBytes}; ` +
          'the peer is probably not a Kafka broker speaking PLAINTEXT (a TLS or HTTP port?) or the stream is corrupt',
      )
    }
  }
}
