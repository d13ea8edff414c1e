/**
 * A bounds-checked cursor over bytes received from a broker.
 *
 * Every read checks that the bytes exist, and every length prefix (string, bytes, array) is checked against
 * the bytes actually remaining before anything is allocated, so a corrupt or hostile frame fails fast with
 * a {@link ProtocolDecodeError} instead of allocating gigabytes or reading garbage.
 */

import { ProtocolDecodeError } from '../../common/errors.ts'

const textDecoder = new TextDecoder('utf-8', { fatal: false })

export class Reader {
  readonly buffer: Buffer
  position: number
  private readonly end: number

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.buffer = buffer
    this.position = start
    this.end = end
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.position
  }

  /** Throws unless `bytes` more bytes are available. */
  private need(bytes: number, what: string): void {
    if (bytes < 0 || this.position + bytes > this.end) {
      throw new ProtocolDecodeError(
        `truncated data: ${what} needs ${bytes} bytes at position ${this.position}, ${this.remaining} remain`,
      )
    }
  }

  int8(): number {
    this.need(1, 'int8')
    const v = this.buffer.readInt8(this.position)
    this.position += 1
    return v
  }

  bool(): boolean {
    return this.int8() !== 0
  }

  int16(): number {
    this.need(2, 'int16')
    const v = this.buffer.readInt16BE(this.position)
    this.position += 2
    return v
  }

  uint16(): number {
    this.need(2, 'uint16')
    const v = this.buffer.readUInt16BE(this.position)
    this.position += 2
    return v
  }

  int32(): number {
    this.need(4, 'int32')
    const v = this.buffer.readInt32BE(this.position)
    this.position += 4
    return v
  }

  uint32(): number {
    this.need(4, 'uint32')
    const v = this.buffer.readUInt32BE(this.position)
    this.position += 4
    return v
  }

  int64(): bigint {
    this.need(8, 'int64')
    const v = this.buffer.readBigInt64BE(this.position)
    this.position += 8
    return v
  }

  float64(): number {
    this.need(8, 'float64')
    const v = this.buffer.readDoubleBE(this.position)
    this.position += 8
    return v
  }

  uuid(): string {
    this.need(16, 'uuid')
    const hex = this.buffer.toString('hex', this.position, this.position + 16)
    this.position += 16
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  unsignedVarint(): number {
    let result = 0
    let shift = 0
    for (;;) {
      if (this.position >= this.end) throw new ProtocolDecodeError('truncated data: unterminated varint')
      const byte = this.buffer[this.position++]!
      if (shift === 28) {
        // The fifth byte may only carry the top 4 bits of a 32-bit value.
        if (byte > 0x0f) throw new ProtocolDecodeError('varint is longer than 32 bits')
        return (result | (byte << 28)) >>> 0
      }
      result |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result >>> 0
      shift += 7
    }
  }

  varint(): number {
    const v = this.unsignedVarint()
    return (v >>> 1) ^ -(v & 1)
  }

  varlong(): bigint {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (this.position >= this.end) throw new ProtocolDecodeError('truncated data: unterminated varlong')
      const byte = this.buffer[this.position++]!
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n)
      shift += 7n
    }
    throw new ProtocolDecodeError('varlong is longer than 64 bits')
  }

  /** `length` raw bytes as a view into the frame (no copy). */
  raw(length: number): Buffer {
    this.need(length, 'bytes')
    const v = this.buffer.subarray(this.position, this.position + length)
    this.position += length
    return v
  }

  private utf8(length: number): string {
    this.need(length, 'string')
    const v = textDecoder.decode(this.buffer.subarray(this.position, this.position + length))
    this.position += length
    return v
  }

  string(): string | null {
    const length = this.int16()
    if (length === -1) return null
    if (length < -1) throw new ProtocolDecodeError(`negative string length ${length}`)
    return this.utf8(length)
  }

  compactString(): string | null {
    const length = this.unsignedVarint()
    if (length === 0) return null
    return this.utf8(length - 1)
  }

  bytes(): Buffer | null {
    const length = this.int32()
    if (length === -1) return null
    if (length < -1) throw new ProtocolDecodeError(`negative bytes length ${length}`)
    return this.raw(length)
  }

  compactBytes(): Buffer | null {
    const length = this.unsignedVarint()
    if (length === 0) return null
    return this.raw(length - 1)
  }

  /**
   * Reads an array length prefix and checks it is plausible: each element takes at least
   * `minElementBytes`, so more elements than the remaining bytes allow means the frame is corrupt.
   * Returns `null` for a null array.
   */
  arrayLength(compact: boolean, minElementBytes = 1): number | null {
    let count: number
    if (compact) {
      const raw = this.unsignedVarint()
      if (raw === 0) return null
      count = raw - 1
    } else {
      count = this.int32()
      if (count === -1) return null
      if (count < -1) throw new ProtocolDecodeError(`negative array length ${count}`)
    }
    if (count * minElementBytes > this.remaining) {
      throw new ProtocolDecodeError(
        `array of ${count} elements cannot fit in the ${this.remaining} bytes that remain`,
      )
    }
    return count
  }

  /** Skips `length` bytes. */
  skip(length: number): void {
    this.need(length, 'skipped bytes')
    this.position += length
  }
}
