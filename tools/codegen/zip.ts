/**
 * A minimal reader for the zip container of a jar: just enough to list entries and inflate them.
 *
 * The generator reads Kafka's message schemas straight out of the pinned kafka-clients jar so the schemas can
 * never drift from the broker version the project targets, and it does so without shelling out to `unzip`.
 */

import { inflateRawSync } from 'node:zlib'

const END_OF_CENTRAL_DIRECTORY = 0x06054b50
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50
const LOCAL_FILE_HEADER = 0x04034b50
const STORED = 0
const DEFLATED = 8

export interface ZipEntry {
  name: string
  read(): Buffer
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, so it sits near the end.
  const lowest = Math.max(0, zip.length - 22 - 0xffff)
  for (let at = zip.length - 22; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at
  }
  throw new Error('not a zip file: no end-of-central-directory record')
}

/** Lists the entries of a zip archive held in memory. */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const end = findEndOfCentralDirectory(zip)
  const count = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  const entries: ZipEntry[] = []
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_DIRECTORY_ENTRY)
      throw new Error(`corrupt zip central directory at ${at}`)
    const method = zip.readUInt16LE(at + 10)
    const compressedSize = zip.readUInt32LE(at + 20)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    const localHeader = zip.readUInt32LE(at + 42)
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength)
    entries.push({
      name,
      read(): Buffer {
        if (zip.readUInt32LE(localHeader) !== LOCAL_FILE_HEADER) throw new Error(`corrupt zip entry ${name}`)
        // The local header repeats name and extra field, with its own (possibly different) extra length.
        const dataStart =
          localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28)
        const data = zip.subarray(dataStart, dataStart + compressedSize)
        if (method === STORED) return Buffer.from(data)
        if (method === DEFLATED) return inflateRawSync(data)
        throw new Error(`zip entry ${name} uses unsupported compression method ${method}`)
      },
    })
    at += 46 + nameLength + extraLength + commentLength
  }
  return entries
}
