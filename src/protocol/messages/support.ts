/**
 * Hand-written helpers shared by the generated message codecs in this folder: tagged-field sections, the
 * readers that reject nulls where the schema forbids them, and the errors codecs throw.
 *
 * Kept small on purpose: everything version-specific is emitted inline by tools/codegen so the hot decoders
 * make no indirect calls per element.
 */

import { ProtocolDecodeError, UnsupportedVersionError } from '../../common/errors.ts'
import type { Reader } from '../primitives/reader.ts'
import type { Writer } from '../primitives/writer.ts'

/** A tagged field this version of samsa does not know, kept as raw bytes so it survives a decode/encode. */
export interface TaggedField {
  tag: number
  data: Buffer
}

/** The all-zero UUID Kafka uses for "no id" (e.g. an unknown topic id). */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export function readString(reader: Reader, compact: boolean): string {
  const value = compact ? reader.compactString() : reader.string()
  if (value === null) throw new ProtocolDecodeError('null in a non-nullable string field')
  return value
}

export function readNullableString(reader: Reader, compact: boolean): string | null {
  return compact ? reader.compactString() : reader.string()
}

export function readBytes(reader: Reader, compact: boolean): Buffer {
  const value = compact ? reader.compactBytes() : reader.bytes()
  if (value === null) throw new ProtocolDecodeError('null in a non-nullable bytes field')
  return value
}

export function readNullableBytes(reader: Reader, compact: boolean): Buffer | null {
  return compact ? reader.compactBytes() : reader.bytes()
}

/** Thrown when a non-nullable array arrives with the null length. */
export function nullArrayError(message: string, field: string): ProtocolDecodeError {
  return new ProtocolDecodeError(`${message}.${field} is a non-nullable array but arrived as null`)
}

/** Reads a tagged-field section of a struct that has no tagged fields of its own: every tag is unknown. */
export function readUnknownTaggedFields(reader: Reader): TaggedField[] | undefined {
  const count = reader.unsignedVarint()
  if (count === 0) return undefined
  const fields: TaggedField[] = []
  for (let i = 0; i < count; i++) {
    const tag = reader.unsignedVarint()
    fields.push({ tag, data: reader.raw(reader.unsignedVarint()) })
  }
  return fields
}

/**
 * Writes a tagged-field section: the known fields the encoder produced (already in ascending tag order) merged
 * with unknown fields carried over from a decode, so the whole section stays sorted by tag as Kafka expects.
 */
export function writeTaggedFields(
  writer: Writer,
  known: readonly TaggedField[] | undefined,
  unknown: readonly TaggedField[] | undefined,
): void {
  const knownCount = known === undefined ? 0 : known.length
  const unknownCount = unknown === undefined ? 0 : unknown.length
  writer.unsignedVarint(knownCount + unknownCount)
  if (knownCount + unknownCount === 0) return
  const all = unknownCount === 0 ? known! : knownCount === 0 ? unknown! : [...known!, ...unknown!]
  const sorted = knownCount > 0 && unknownCount > 0 ? [...all].sort((a, b) => a.tag - b.tag) : all
  for (const field of sorted) {
    writer.unsignedVarint(field.tag)
    writer.unsignedVarint(field.data.length)
    writer.raw(field.data)
  }
}

/** The caller asked for a version outside what the schema defines. */
export function unsupportedVersion(api: string, version: number, min: number, max: number): UnsupportedVersionError {
  return new UnsupportedVersionError(`${api} v${version} does not exist (samsa knows v${min}-${max})`, api)
}

/** A field was given a non-default value at a version that cannot carry it. */
export function unsupportedField(api: string, version: number, field: string, versions: string): UnsupportedVersionError {
  return new UnsupportedVersionError(`${api} v${version} cannot carry ${field} (needs ${versions})`, api)
}

/** A field was given `null` at a version where it is not nullable. */
export function nonNullableField(api: string, version: number, field: string, versions: string): UnsupportedVersionError {
  return new UnsupportedVersionError(`${api} v${version} cannot carry a null ${field} (nullable only in ${versions})`, api)
}
