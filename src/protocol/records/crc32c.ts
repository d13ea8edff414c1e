/**
 * CRC-32C (Castagnoli), the checksum of magic v2 record batches.
 *
 * Node's zlib only offers the IEEE polynomial, so this is computed in TypeScript with the slicing-by-8
 * technique: eight 256-entry tables let the loop fold eight input bytes per iteration with independent
 * table lookups instead of one dependent lookup per byte, about 600-1000 MB/s on a 2020s x86 core.
 * (Slicing-by-16 measured no faster in V8, so the smaller tables win.)
 */

/** The Castagnoli polynomial in reflected (LSB-first) form. */
const POLYNOMIAL = 0x82f63b78

function buildTables(): Int32Array[] {
  const tables: Int32Array[] = []
  const first = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1
    first[n] = c
  }
  tables.push(first)
  // Table k gives the CRC contribution of a byte followed by k zero bytes.
  for (let k = 1; k < 8; k++) {
    const previous = tables[k - 1]!
    const next = new Int32Array(256)
    for (let n = 0; n < 256; n++) {
      const c = previous[n]!
      next[n] = (c >>> 8) ^ first[c & 0xff]!
    }
    tables.push(next)
  }
  return tables
}

// Separate constants (rather than one flat table) keep each lookup a single indexed load.
const [T0, T1, T2, T3, T4, T5, T6, T7] = buildTables() as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
]

/**
 * The CRC-32C of `bytes[start, end)` as an unsigned 32-bit number.
 *
 * @example crc32c(Buffer.from('123456789')) === 0xe3069283
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (start < 0 || end > bytes.length || start > end) {
    throw new RangeError(`crc32c range [${start}, ${end}) is outside 0..${bytes.length}`)
  }
  let crc = -1
  let i = start
  const fastEnd = end - 8
  while (i <= fastEnd) {
    const low = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    crc =
      T7[low & 0xff]! ^
      T6[(low >>> 8) & 0xff]! ^
      T5[(low >>> 16) & 0xff]! ^
      T4[low >>> 24]! ^
      T3[bytes[i + 4]!]! ^
      T2[bytes[i + 5]!]! ^
      T1[bytes[i + 6]!]! ^
      T0[bytes[i + 7]!]!
    i += 8
  }
  while (i < end) {
    crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]!) & 0xff]!
    i++
  }
  return ~crc >>> 0
}
