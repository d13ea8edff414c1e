/**
 * An append-only byte builder for Kafka's primitive types (big-endian ints, zig-zag varints, classic and
 * compact strings/bytes/arrays, tagged fields).
 *
 * Every message encoder writes into one Writer, so the buffer grows by doubling and is copied out once
 * at the end ({@link Writer.toBuffer}) rather than concatenating many small Buffers.
 *
 * A writer made with `shareBytesFrom` does not copy byte ranges of at least that size: it keeps a reference
 * and hands the frame out as {@link Writer.segments}, which a socket writes with one gathered write. A Produce
 * request is almost all record batches the producer has already built; copying each into the request frame
 * cost about 9 % of the producer's main thread on 1 KiB records (and allocated a frame as large as the
 * batches), for bytes the socket copies into the kernel anyway. The shared ranges must not change until the
 * frame is written; sealed record batches are only rewritten for a retry, after their earlier send ended.
 */

const textEncoder = new TextEncoder()

/**
 * Strings up to this long are checked for being ASCII and then copied character by character. Requests
 * are full of short ASCII names (client, group, member and topic ids); a TextEncoder call allocates an
 * array for each and cost about 4 us of an OffsetCommit's 80 us of CPU (profiled).
 */
const ASCII_FAST_PATH_MAX_CHARS = 256

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return false
  return true
}

/** A byte range kept by reference, and where in the writer's own bytes it goes. */
interface SharedBytes {
  /** Offset in the writer's own buffer before which the range goes. */
  at: number
  bytes: Uint8Array
}

export class Writer {
  private buffer: Buffer
  /** Bytes written into {@link buffer}; shared ranges are not counted here. */
  private position = 0
  private readonly shareBytesFrom: number
  private shared: SharedBytes[] | null = null
  private sharedLength = 0

  /**
   * @param initialCapacity bytes allocated up front (the buffer doubles when full)
   * @param shareBytesFrom raw byte ranges this long or longer are referenced instead of copied; the frame
   *   must then be read with {@link segments}
   */
  constructor(initialCapacity = 256, shareBytesFrom = Number.POSITIVE_INFINITY) {
    this.buffer = Buffer.allocUnsafe(initialCapacity)
    this.shareBytesFrom = shareBytesFrom
  }

  /** Number of bytes written so far, shared ranges included. */
  get length(): number {
    return this.position + this.sharedLength
  }

  /** Bytes held in the writer's own buffer (what a buffer for the same frame would need, less shared ranges). */
  get ownLength(): number {
    return this.position
  }

  /** Makes room for `bytes` more bytes. */
  private ensure(bytes: number): void {
    const needed = this.position + bytes
    if (needed <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < needed) capacity *= 2
    const next = Buffer.allocUnsafe(capacity)
    this.buffer.copy(next, 0, 0, this.position)
    this.buffer = next
  }

  int8(value: number): this {
    this.ensure(1)
    this.buffer.writeInt8(value, this.position)
    this.position += 1
    return this
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0)
  }

  int16(value: number): this {
    this.ensure(2)
    this.buffer.writeInt16BE(value, this.position)
    this.position += 2
    return this
  }

  uint16(value: number): this {
    this.ensure(2)
    this.buffer.writeUInt16BE(value, this.position)
    this.position += 2
    return this
  }

  int32(value: number): this {
    this.ensure(4)
    this.buffer.writeInt32BE(value, this.position)
    this.position += 4
    return this
  }

  uint32(value: number): this {
    this.ensure(4)
    this.buffer.writeUInt32BE(value, this.position)
    this.position += 4
    return this
  }

  int64(value: bigint): this {
    this.ensure(8)
    this.buffer.writeBigInt64BE(value, this.position)
    this.position += 8
    return this
  }

  float64(value: number): this {
    this.ensure(8)
    this.buffer.writeDoubleBE(value, this.position)
    this.position += 8
    return this
  }

  /** A UUID as 16 raw bytes; `value` is the canonical 36-character text form. */
  uuid(value: string): this {
    const hex = value.replaceAll('-', '')
    if (hex.length !== 32) throw new RangeError(`not a UUID: ${value}`)
    this.ensure(16)
    this.buffer.write(hex, this.position, 16, 'hex')
    this.position += 16
    return this
  }

  /** Unsigned LEB128 varint of a 32-bit value (array lengths, tag numbers). */
  unsignedVarint(value: number): this {
    this.ensure(5)
    let v = value >>> 0
    while (v >= 0x80) {
      this.buffer[this.position++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.buffer[this.position++] = v
    return this
  }

  /** Zig-zag signed varint of a 32-bit value. */
  varint(value: number): this {
    return this.unsignedVarint((value << 1) ^ (value >> 31))
  }

  /** Zig-zag signed varint of a 64-bit value. */
  varlong(value: bigint): this {
    this.ensure(10)
    let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
    while (v >= 0x80n) {
      this.buffer[this.position++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.buffer[this.position++] = Number(v)
    return this
  }

  /** Raw bytes with no length prefix. */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= this.shareBytesFrom) {
      this.shared ??= []
      this.shared.push({ at: this.position, bytes })
      this.sharedLength += bytes.length
      return this
    }
    this.ensure(bytes.length)
    this.buffer.set(bytes, this.position)
    this.position += bytes.length
    return this
  }

  /** int16-length-prefixed UTF-8; `null` is length -1. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1)
    if (value.length <= ASCII_FAST_PATH_MAX_CHARS && isAscii(value)) {
      return this.int16(value.length).ascii(value)
    }
    const bytes = textEncoder.encode(value)
    return this.int16(bytes.length).raw(bytes)
  }

  /** Unsigned-varint (length + 1) prefixed UTF-8; `null` is 0. */
  compactString(value: string | null): this {
    if (value === null) return this.unsignedVarint(0)
    if (value.length <= ASCII_FAST_PATH_MAX_CHARS && isAscii(value)) {
      return this.unsignedVarint(value.length + 1).ascii(value)
    }
    const bytes = textEncoder.encode(value)
    return this.unsignedVarint(bytes.length + 1).raw(bytes)
  }

  /** An ASCII string's characters, one byte each (its UTF-8 encoding). */
  private ascii(value: string): this {
    const length = value.length
    this.ensure(length)
    const buffer = this.buffer
    let at = this.position
    for (let i = 0; i < length; i++) buffer[at++] = value.charCodeAt(i)
    this.position = at
    return this
  }

  /** int32-length-prefixed bytes; `null` is length -1. */
  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1)
    return this.int32(value.length).raw(value)
  }

  /** Unsigned-varint (length + 1) prefixed bytes; `null` is 0. */
  compactBytes(value: Uint8Array | null): this {
    if (value === null) return this.unsignedVarint(0)
    return this.unsignedVarint(value.length + 1).raw(value)
  }

  /** The length prefix of an array: int32 count (classic) or count + 1 (compact); `null` arrays use -1 / 0. */
  arrayLength(count: number | null, compact: boolean): this {
    if (compact) return this.unsignedVarint(count === null ? 0 : count + 1)
    return this.int32(count === null ? -1 : count)
  }

  /** Reserves a big-endian int32 to be filled in later (e.g. a frame or batch length). Returns its position. */
  reserveInt32(): number {
    this.ensure(4)
    const at = this.position
    this.position += 4
    return at
  }

  /**
   * Writes an int32 at a position reserved with {@link reserveInt32}. (With shared ranges, `length` is not
   * such a position: only what reserveInt32 returned is.)
   */
  patchInt32(at: number, value: number): void {
    this.buffer.writeInt32BE(value, at)
  }

  /** Writes a uint32 at an earlier position (e.g. a CRC computed after the covered bytes). */
  patchUint32(at: number, value: number): void {
    this.buffer.writeUInt32BE(value, at)
  }

  /** A view of bytes already written, without copying. Valid until the next write. */
  view(start = 0, end = this.position): Buffer {
    if (this.shared !== null) throw new Error('a writer holding shared byte ranges is read with segments()')
    return this.buffer.subarray(start, end)
  }

  /**
   * Everything written, in order, as views of the writer's own buffer and the shared ranges themselves: no
   * copy. Valid until the next write.
   */
  segments(): Uint8Array[] {
    if (this.shared === null) return [this.buffer.subarray(0, this.position)]
    const segments: Uint8Array[] = []
    let from = 0
    for (const { at, bytes } of this.shared) {
      if (at > from) segments.push(this.buffer.subarray(from, at))
      segments.push(bytes)
      from = at
    }
    if (this.position > from) segments.push(this.buffer.subarray(from, this.position))
    return segments
  }

  /** A copy of everything written. */
  toBuffer(): Buffer {
    if (this.shared !== null) return Buffer.concat(this.segments(), this.length)
    return Buffer.from(this.buffer.subarray(0, this.position))
  }
}
