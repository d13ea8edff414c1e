/**
 * Zig-zag varints written straight into a pre-sized Buffer. The batch encoder measures every record first
 * and allocates once, so it needs size functions and position-returning writers rather than a growing
 * {@link Writer}.
 *
 * 64-bit values (timestamp deltas) are handled as JS numbers: a batch's timestamps are validated to be safe
 * integers, which keeps BigInt arithmetic out of the per-record loop.
 */

/** Encoded size of a zig-zag varint of a signed 32-bit value. */
export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  let bytes = 1
  while (v >= 0x80) {
    v >>>= 7
    bytes++
  }
  return bytes
}

/** Writes a zig-zag varint at `position`; returns the position after it. */
export function writeVarint(buffer: Buffer, position: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  while (v >= 0x80) {
    buffer[position++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buffer[position++] = v
  return position
}

/** Zig-zag of a safe integer, as a non-negative safe integer (|value| must be below 2^52). */
function zigZag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1
}

/** Encoded size of a zig-zag varlong of a safe integer with |value| < 2^52. */
export function sizeOfVarlong(value: number): number {
  let v = zigZag64(value)
  let bytes = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    bytes++
  }
  return bytes
}

/** Writes a zig-zag varlong of a safe integer with |value| < 2^52; returns the position after it. */
export function writeVarlong(buffer: Buffer, position: number, value: number): number {
  let v = zigZag64(value)
  // Bit operators truncate to 32 bits, so the high groups are peeled off with division.
  while (v >= 0x80) {
    buffer[position++] = (v % 128) | 0x80
    v = Math.floor(v / 128)
  }
  buffer[position++] = v
  return position
}
