/**
 * CRC-32C (Castagnoli), the checksum of magic v2 record batches.
 *
 * Node's zlib only offers the IEEE polynomial, so this is computed in TypeScript with the slicing-by-8
 * technique: eight 256-entry tables let the loop fold eight input bytes per iteration with independent
 * table lookups instead of one dependent lookup per byte. The eight bytes are loaded as two 32-bit words
 * through an Int32Array view rather than byte by byte: eight bounds-checked byte loads and the shifts that
 * reassemble them cost more than the table lookups themselves, and word loads measured about 1.5-2x faster
 * (bench/micro/crc32c.ts). Word loads need a little-endian host and 4-byte alignment, so the unaligned head
 * and the tail go byte by byte. (Slicing-by-16 measured no faster in V8, so the smaller tables win.)
 *
 * Each step still waits for the previous step's CRC, so a large range is split in two halves whose CRCs
 * are computed in the same loop, two independent dependency chains the CPU overlaps, and then joined:
 * the CRC of A followed by B is CRC(A) shifted over |B| zero bytes, XOR CRC(B). The shift is a
 * multiplication by x^(8|B|) modulo the polynomial, a few hundred bit operations from a table of
 * x^(2^k), so it pays only on ranges of a few KiB and up (about 1.2-1.7x there, bench/micro/crc32c.ts).
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

/** Word loads read the bytes in memory order, which matches the reflected CRC only on little-endian hosts. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Below this many bytes, creating the word view costs more than the word loads save. */
const WORD_LOADS_MIN_BYTES = 256

/** From this many bytes, two interleaved halves and the shift that joins them beat one chain. */
const TWO_CHAINS_MIN_BYTES = 4096

/** The product of two polynomials modulo the Castagnoli polynomial, all in reflected bit order. */
function multiplyModPolynomial(a: number, b: number): number {
  let product = 0
  // Bit 31 of a reflected polynomial is the coefficient of x^0.
  for (let bit = 0x80000000; ; bit >>>= 1) {
    if ((a & bit) !== 0) {
      product ^= b
      if ((a & (bit - 1)) === 0) break
    }
    b = b & 1 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1
  }
  return product >>> 0
}

/** x^(2^k) modulo the polynomial, for k = 0..31 (the powers repeat with a period dividing 2^32 - 1). */
const X_POWER_OF_TWO = new Uint32Array(32)
{
  let power = 0x40000000 // x^1
  for (let k = 0; k < 32; k++) {
    X_POWER_OF_TWO[k] = power
    power = multiplyModPolynomial(power, power)
  }
}

/** The CRC of `first` followed by `secondLength` bytes whose CRC is `second`. */
function joinCrcs(first: number, second: number, secondLength: number): number {
  // x^(8 * secondLength), built from the binary digits of secondLength (8 = 2^3, hence k starts at 3).
  let shift = 0x80000000 // x^0
  for (let n = secondLength, k = 3; n > 0; n = Math.floor(n / 2), k++) {
    if (n & 1) shift = multiplyModPolynomial(X_POWER_OF_TWO[k & 31]!, shift)
  }
  return (multiplyModPolynomial(shift, first) ^ second) >>> 0
}

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
  if (LITTLE_ENDIAN && end - start >= WORD_LOADS_MIN_BYTES) {
    while (i < end && ((bytes.byteOffset + i) & 3) !== 0) {
      crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]!) & 0xff]!
      i++
    }
    const blocks = (end - i) >>> 3
    if (end - i >= TWO_CHAINS_MIN_BYTES) return twoChains(bytes, i, end, blocks, crc)
    if (blocks > 0) {
      const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, blocks * 2)
      for (let w = 0; w < words.length; w += 2) {
        const low = crc ^ words[w]!
        const high = words[w + 1]!
        crc =
          T7[low & 0xff]! ^
          T6[(low >>> 8) & 0xff]! ^
          T5[(low >>> 16) & 0xff]! ^
          T4[low >>> 24]! ^
          T3[high & 0xff]! ^
          T2[(high >>> 8) & 0xff]! ^
          T1[(high >>> 16) & 0xff]! ^
          T0[high >>> 24]!
      }
      i += blocks * 8
    }
  } else {
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
  }
  while (i < end) {
    crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]!) & 0xff]!
    i++
  }
  return ~crc >>> 0
}

/**
 * The word loop of {@link crc32c} over two halves at once: `blocks` 8-byte blocks from the 4-byte-aligned
 * `start`, then the tail up to `end`; `crc` is the running (unfinished) CRC of the bytes before `start`.
 */
function twoChains(bytes: Uint8Array, start: number, end: number, blocks: number, crc: number): number {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + start, blocks * 2)
  const half = (blocks >>> 1) * 2
  let a = crc
  let b = -1
  for (let w = 0; w < half; w += 2) {
    const lowA = a ^ words[w]!
    const highA = words[w + 1]!
    const lowB = b ^ words[half + w]!
    const highB = words[half + w + 1]!
    a =
      T7[lowA & 0xff]! ^
      T6[(lowA >>> 8) & 0xff]! ^
      T5[(lowA >>> 16) & 0xff]! ^
      T4[lowA >>> 24]! ^
      T3[highA & 0xff]! ^
      T2[(highA >>> 8) & 0xff]! ^
      T1[(highA >>> 16) & 0xff]! ^
      T0[highA >>> 24]!
    b =
      T7[lowB & 0xff]! ^
      T6[(lowB >>> 8) & 0xff]! ^
      T5[(lowB >>> 16) & 0xff]! ^
      T4[lowB >>> 24]! ^
      T3[highB & 0xff]! ^
      T2[(highB >>> 8) & 0xff]! ^
      T1[(highB >>> 16) & 0xff]! ^
      T0[highB >>> 24]!
  }
  // An odd block count leaves one block for the second chain.
  for (let w = half * 2; w < words.length; w += 2) {
    const low = b ^ words[w]!
    const high = words[w + 1]!
    b =
      T7[low & 0xff]! ^
      T6[(low >>> 8) & 0xff]! ^
      T5[(low >>> 16) & 0xff]! ^
      T4[low >>> 24]! ^
      T3[high & 0xff]! ^
      T2[(high >>> 8) & 0xff]! ^
      T1[(high >>> 16) & 0xff]! ^
      T0[high >>> 24]!
  }
  for (let i = start + blocks * 8; i < end; i++) b = (b >>> 8) ^ T0[(b ^ bytes[i]!) & 0xff]!
  const secondStart = start + half * 4
  return joinCrcs(~a >>> 0, ~b >>> 0, end - secondStart)
}
