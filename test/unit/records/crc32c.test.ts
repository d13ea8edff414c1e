import { describe, expect, it } from 'vitest'
import { crc32c } from '../../../src/protocol/records/crc32c.ts'

/** Bit-at-a-time CRC-32C, the definition the table-driven version must agree with. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(0))).toBe(0)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
  })

  it('agrees with the bitwise definition for every length and alignment up to 70 bytes', () => {
    const data = Uint8Array.from({ length: 80 }, (_, i) => (i * 167 + 13) & 0xff)
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= start + 70; end++) {
        expect(crc32c(data, start, end)).toBe(referenceCrc32c(data.subarray(start, end)))
      }
    }
  })

  it('agrees with the bitwise definition for views at every offset of their ArrayBuffer', () => {
    // Pooled Buffers and subarrays start anywhere in their ArrayBuffer, so word loads must realign.
    const backing = Uint8Array.from({ length: 1100 }, (_, i) => (i * 89 + 5) & 0xff)
    for (let byteOffset = 0; byteOffset < 8; byteOffset++) {
      const view = new Uint8Array(backing.buffer, byteOffset, 1000 + byteOffset)
      expect(crc32c(view)).toBe(referenceCrc32c(view))
      expect(crc32c(view, 3, 997)).toBe(referenceCrc32c(view.subarray(3, 997)))
    }
  })

  it('agrees with the bitwise definition on ranges long enough to be split into two chains', () => {
    const backing = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 113 + 29) & 0xff)
    // Even and odd block counts, tails of 0-7 bytes, every alignment of the start.
    for (const length of [4096, 4097, 4103, 4104, 4111, 12_345, 65_537]) {
      for (let byteOffset = 0; byteOffset < 8; byteOffset++) {
        const view = new Uint8Array(backing.buffer, byteOffset, length)
        expect(crc32c(view)).toBe(referenceCrc32c(view))
      }
    }
  })

  it('rejects a range outside the bytes', () => {
    expect(() => crc32c(new Uint8Array(4), 0, 5)).toThrow(RangeError)
    expect(() => crc32c(new Uint8Array(4), 3, 2)).toThrow(RangeError)
  })
})
