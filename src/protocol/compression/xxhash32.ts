/** XXH32, the checksum of the LZ4 frame format (header checksum and optional content checksum). */

const PRIME1 = 0x9e3779b1
const PRIME2 = 0x85ebca77
const PRIME3 = 0xc2b2ae3d
const PRIME4 = 0x27d4eb2f
const PRIME5 = 0x165667b1

/** XXH32 of `data[start, end)` with `seed`, as an unsigned 32-bit number. */
export function xxhash32(data: Uint8Array, seed = 0, start = 0, end = data.length): number {
  let i = start
  let acc: number
  if (end - start >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0
    let v2 = (seed + PRIME2) | 0
    let v3 = seed | 0
    let v4 = (seed - PRIME1) | 0
    const limit = end - 16
    while (i <= limit) {
      v1 = round(v1, read32(data, i))
      v2 = round(v2, read32(data, i + 4))
      v3 = round(v3, read32(data, i + 8))
      v4 = round(v4, read32(data, i + 12))
      i += 16
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    acc = (seed + PRIME5) | 0
  }
  acc = (acc + (end - start)) | 0
  while (i + 4 <= end) {
    acc = Math.imul(rotl((acc + Math.imul(read32(data, i), PRIME3)) | 0, 17), PRIME4)
    i += 4
  }
  while (i < end) {
    acc = Math.imul(rotl((acc + Math.imul(data[i]!, PRIME5)) | 0, 11), PRIME1)
    i++
  }
  acc = Math.imul(acc ^ (acc >>> 15), PRIME2)
  acc = Math.imul(acc ^ (acc >>> 13), PRIME3)
  return (acc ^ (acc >>> 16)) >>> 0
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, PRIME2)) | 0, 13), PRIME1)
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function read32(data: Uint8Array, i: number): number {
  return data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
}
