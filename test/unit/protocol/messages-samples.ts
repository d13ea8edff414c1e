/**
 * Builds sample message values from the schema model the generator itself uses (read from the kafka-clients
 * jar at test time), so the round-trip tests cover every field of every version without hand-written values
 * that could drift from the schemas.
 */

import type { ApiDefinition } from '../../../src/protocol/api.ts'
import { kebabCase } from '../../../tools/codegen/emit-message.ts'
import {
  type ApiSpec,
  contains,
  type FieldSpec,
  type FieldType,
  loadApis,
  type StructSpec,
} from '../../../tools/codegen/schema.ts'

export interface LoadedApi {
  spec: ApiSpec
  definition: ApiDefinition<unknown, unknown>
  module: Record<string, unknown>
}

export async function loadGeneratedApis(): Promise<LoadedApi[]> {
  const { apis } = loadApis()
  const loaded: LoadedApi[] = []
  for (const spec of apis) {
    const module = (await import(`../../../src/protocol/messages/${kebabCase(spec.name)}.ts`)) as Record<
      string,
      unknown
    >
    loaded.push({ spec, definition: module[spec.name] as ApiDefinition<unknown, unknown>, module })
  }
  return loaded
}

export type Variant = 'values' | 'nulls'

type Sample = Record<string, unknown>

/**
 * A value for `struct` at `version` in which every field that exists at that version holds a non-default value
 * ('values') or, where the field is nullable at that version, null ('nulls'); fields the version lacks keep
 * their defaults, exactly what a decoder must produce for them.
 */
export function sampleStruct(
  module: Record<string, unknown>,
  struct: StructSpec,
  version: number,
  flexible: boolean,
  variant: Variant,
  seed = 1,
): Sample {
  const create = module[`create${struct.typeName}`] as (init?: object) => Sample
  const value = create()
  struct.fields.forEach((field, index) => {
    const versions = field.tag === undefined ? field.versions : field.taggedVersions
    if (!contains(versions, version)) return
    if (variant === 'nulls' && contains(field.nullableVersions, version)) {
      value[field.property] = null
      return
    }
    value[field.property] = sampleField(
      module,
      field,
      field.type,
      version,
      flexible,
      variant,
      seed * 31 + index,
    )
  })
  if (flexible) value.unknownTaggedFields = [{ tag: 1000 + seed, data: Buffer.from([seed & 0xff, 7]) }]
  return value
}

function sampleField(
  module: Record<string, unknown>,
  field: FieldSpec,
  type: FieldType,
  version: number,
  flexible: boolean,
  variant: Variant,
  seed: number,
): unknown {
  if (type.kind === 'array') {
    return [0, 1].map((i) =>
      sampleField(module, field, type.element, version, flexible, variant, seed * 7 + i),
    )
  }
  if (type.kind === 'struct')
    return sampleStruct(module, type.struct, version, flexible, variant, seed % 1000)
  // Every sample must differ from the default, or the test would not notice an encoder that drops the field.
  const differentFrom = (candidate: number): number =>
    String(candidate) === field.defaultValue ? candidate + 1 : candidate
  switch (type.name) {
    case 'bool':
      return field.defaultValue !== 'true'
    case 'int8':
      return differentFrom((seed % 100) + 2)
    case 'int16':
      return differentFrom((seed % 30000) + 2)
    case 'uint16':
      return differentFrom(40000 + (seed % 20000))
    case 'int32':
      return differentFrom(100000 + seed)
    case 'int64':
      return 1n << (40n + BigInt(seed % 20))
    case 'float64':
      return 0.5 + seed
    case 'string':
      return `s${seed}-ü`
    case 'bytes':
      return Buffer.from([seed & 0xff, 1, 2])
    case 'records':
      return Buffer.from(`records-${seed}`)
    case 'uuid': {
      const hex = (seed >>> 0).toString(16).padStart(8, '0')
      return `${hex}-0000-4000-8000-0000000000ab`
    }
  }
}
