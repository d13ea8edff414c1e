/**
 * Emits the TypeScript codec module of one API (request + response) or of a header schema.
 *
 * For every struct it writes an interface, a `create…` factory applying the schema defaults, and one encoder
 * and one decoder covering all versions. Version guards are emitted only where a field's versions differ from
 * the versions its struct can occur in, and the compact/classic choice is constant-folded where a struct is
 * always or never flexible, so the common paths read as straight-line code.
 */

import {
  type ApiSpec,
  describeRange,
  type FieldSpec,
  type FieldType,
  intersect,
  isEmpty,
  type MessageSpec,
  type StructSpec,
  type VersionRange,
} from './schema.ts'

/** Whether a struct is compact-encoded: always, never, or decided by the `flexible` local at runtime. */
type Flex = true | false | 'flexible'

const RESERVED_LOCALS = new Set([
  'r',
  'w',
  'value',
  'version',
  'flexible',
  'tagged',
  'tag',
  'size',
  'item',
  'unknownTaggedFields',
  'fieldReader',
  'fieldWriter',
  'tagIndex',
  'taggedCount',
  'default',
  'delete',
  'new',
  'function',
  'class',
  'this',
  'return',
  'var',
  'let',
  'const',
  'in',
  'for',
  'if',
  'else',
  'switch',
  'case',
  'throw',
  'try',
  'catch',
  'typeof',
  'void',
  'with',
  'yield',
  'await',
  'enum',
  'export',
  'import',
  'super',
  'null',
  'true',
  'false',
  'do',
  'while',
  'break',
  'continue',
  'instanceof',
  'debugger',
  'finally',
  'extends',
])

function local(field: FieldSpec): string {
  return RESERVED_LOCALS.has(field.property) ? `${field.property}Value` : field.property
}

function isNullableAnywhere(field: FieldSpec): boolean {
  return field.type.kind === 'primitive' && field.type.name === 'records'
    ? true
    : !isEmpty(intersect(field.nullableVersions, field.versions))
}

/** Emits code for the structs of one message; collects the support helpers it uses. */
class MessageEmitter {
  readonly used = new Set<string>()
  /** Structs whose `is…Default` predicate some field needs. */
  readonly needsIsDefault = new Set<StructSpec>()
  readonly message: MessageSpec
  /** Name used in error messages, e.g. `OffsetCommit` or `RequestHeader`. */
  readonly apiName: string
  readonly firstFlexible: number

  constructor(message: MessageSpec, apiName: string) {
    this.message = message
    this.apiName = apiName
    this.firstFlexible = message.flexibleVersions.min
  }

  flexOf(struct: StructSpec, field?: FieldSpec): Flex {
    let range = struct.versions
    if (field !== undefined) {
      if (field.flexibleVersions !== undefined) {
        if (!isEmpty(field.flexibleVersions))
          throw new Error(`${field.schemaName}: only flexibleVersions "none" is supported`)
        return false
      }
      // Within a field's own versions the choice may already be fixed (e.g. a field added in a flexible version).
      const own = intersect(field.versions, struct.versions)
      if (!isEmpty(own)) range = own
    }
    if (range.min >= this.firstFlexible) return true
    if (range.max < this.firstFlexible) return false
    return 'flexible'
  }

  /** A condition on `version` that is true exactly for `range` within the struct's versions; `true`/`false` when constant. */
  condition(struct: StructSpec, range: VersionRange): string | boolean {
    const present = intersect(range, struct.versions)
    if (isEmpty(present)) return false
    const parts: string[] = []
    if (present.min > struct.versions.min) parts.push(`version >= ${present.min}`)
    if (present.max < struct.versions.max) parts.push(`version <= ${present.max}`)
    return parts.length === 0 ? true : parts.join(' && ')
  }

  presence(struct: StructSpec, field: FieldSpec): string | boolean {
    return this.condition(struct, field.tag === undefined ? field.versions : field.taggedVersions)
  }

  /** Presence of a tagged field, tested inside the struct's flexible branch (so the flexible bound is implied). */
  taggedPresence(struct: StructSpec, field: FieldSpec): string | boolean {
    const flexibleVersions = intersect(struct.versions, {
      min: this.firstFlexible,
      max: Number.POSITIVE_INFINITY,
    })
    return this.condition({ ...struct, versions: flexibleVersions }, field.taggedVersions)
  }

  tsType(field: FieldSpec): string {
    const base = this.baseType(field.type)
    return isNullableAnywhere(field) ? `${base} | null` : base
  }

  baseType(type: FieldType): string {
    if (type.kind === 'array') return `${this.baseType(type.element)}[]`
    if (type.kind === 'struct') return type.struct.typeName
    switch (type.name) {
      case 'bool':
        return 'boolean'
      case 'int64':
        return 'bigint'
      case 'string':
      case 'uuid':
        return 'string'
      case 'bytes':
      case 'records':
        return 'Buffer'
      default:
        return 'number'
    }
  }

  defaultExpr(field: FieldSpec): string {
    const type = field.type
    const text = field.defaultValue
    if (text === 'null') {
      if (!isNullableAnywhere(field))
        throw new Error(`${field.schemaName}: default null on a non-nullable field`)
      return 'null'
    }
    if (type.kind === 'array') return '[]'
    if (type.kind === 'struct') return `create${type.struct.typeName}()`
    switch (type.name) {
      case 'bool':
        return text === 'true' ? 'true' : 'false'
      case 'int64':
        return `${BigInt(text ?? '0')}n`
      case 'string':
        return `'${(text ?? '').replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
      case 'bytes':
        return 'Buffer.alloc(0)'
      case 'records':
        return 'null'
      case 'uuid':
        this.used.add('ZERO_UUID')
        return 'ZERO_UUID'
      default: {
        const n = Number(text ?? '0')
        if (!Number.isFinite(n)) throw new Error(`${field.schemaName}: bad default ${text}`)
        return String(n)
      }
    }
  }

  /** An expression that is true when `access` differs from the field's default. */
  nonDefault(field: FieldSpec, access: string): string {
    const type = field.type
    const def = this.defaultExpr(field)
    if (def === 'null') return `${access} !== null`
    const nullable = isNullableAnywhere(field)
    const orNull = nullable ? `${access} === null || ` : ''
    if (type.kind === 'array') return `${orNull}${access}.length !== 0`
    if (type.kind === 'struct') {
      this.needsIsDefault.add(type.struct)
      return `${orNull}!is${type.struct.typeName}Default(${access})`
    }
    if (type.name === 'bytes') return `${orNull}${access}.length !== 0`
    return `${access} !== ${def}`
  }

  // ---------------------------------------------------------------- interfaces and factories

  emitInterface(struct: StructSpec, out: string[]): void {
    // Kafka's `about` prose is not copied: the docs state only facts read from the schema's structure.
    const about =
      struct === this.message.root
        ? `Body of \`${this.message.name}\`, ${describeRange(struct.versions)}.`
        : `Schema struct \`${struct.schemaName}\` of ${this.message.name}.`
    out.push(`/** ${about} */`)
    out.push(`export interface ${struct.typeName} {`)
    for (const field of struct.fields) {
      const range = field.tag === undefined ? field.versions : field.taggedVersions
      const notes: string[] = []
      const present = intersect(range, struct.versions)
      if (present.min !== struct.versions.min || present.max !== struct.versions.max)
        notes.push(describeRange(range))
      if (field.tag !== undefined) notes.push(`tag ${field.tag}`)
      const suffix = notes.length > 0 ? ` (${notes.join(', ')})` : ''
      out.push(`  /** Schema field \`${field.schemaName}\`${suffix}. */`)
      out.push(`  ${field.property}: ${this.tsType(field)}`)
    }
    if (this.flexOf(struct) !== false) {
      this.used.add('TaggedField')
      out.push(
        '  /** Tagged fields this version of samsa does not know; kept so they survive a round trip. */',
      )
      out.push('  unknownTaggedFields?: TaggedField[]')
    }
    out.push('}', '')
  }

  emitFactory(struct: StructSpec, out: string[]): void {
    const name = struct.typeName
    out.push(`/** Creates a ${name} holding the schema's defaults, overridden by \`init\`. */`)
    out.push(`export function create${name}(init?: Partial<${name}>): ${name} {`)
    out.push('  return {')
    for (const field of struct.fields) out.push(`    ${field.property}: ${this.defaultExpr(field)},`)
    out.push('    ...init,', '  }', '}', '')
  }

  emitIsDefault(struct: StructSpec, out: string[]): void {
    const terms = struct.fields.map((f) => `!(${this.nonDefault(f, `value.${f.property}`)})`)
    if (this.flexOf(struct) !== false)
      terms.push('(value.unknownTaggedFields === undefined || value.unknownTaggedFields.length === 0)')
    out.push(`function is${struct.typeName}Default(value: ${struct.typeName}): boolean {`)
    out.push(`  return (\n    ${terms.length === 0 ? 'true' : terms.join(' &&\n    ')}\n  )`)
    out.push('}', '')
  }

  // ---------------------------------------------------------------- encoders

  writeStatements(
    type: FieldType,
    access: string,
    w: string,
    flex: Flex,
    nullable: boolean,
    indent: string,
  ): string[] {
    if (type.kind === 'array') {
      const length = nullable ? `${access} === null ? null : ${access}.length` : `${access}.length`
      const lines = [`${indent}${w}.arrayLength(${length}, ${flex})`]
      const element = this.writeStatements(type.element, 'item', w, flex, false, '')
      if (element.length !== 1) throw new Error('array elements must encode in one statement')
      const loop = `for (const item of ${access}) ${element[0]}`
      lines.push(nullable ? `${indent}if (${access} !== null) ${loop}` : `${indent}${loop}`)
      return lines
    }
    if (type.kind === 'struct') {
      const call = `write${type.struct.typeName}(${w}, version, ${access})`
      if (!nullable) return [`${indent}${call}`]
      return [
        `${indent}if (${access} === null) ${w}.int8(-1)`,
        `${indent}else {`,
        `${indent}  ${w}.int8(1)`,
        `${indent}  ${call}`,
        `${indent}}`,
      ]
    }
    const classicOrCompact = (classic: string, compact: string): string =>
      flex === true
        ? `${w}.${compact}(${access})`
        : flex === false
          ? `${w}.${classic}(${access})`
          : `${flex} ? ${w}.${compact}(${access}) : ${w}.${classic}(${access})`
    switch (type.name) {
      case 'string':
        return [`${indent}${classicOrCompact('string', 'compactString')}`]
      case 'bytes':
      case 'records':
        return [`${indent}${classicOrCompact('bytes', 'compactBytes')}`]
      default:
        return [`${indent}${w}.${type.name}(${access})`]
    }
  }

  emitWriter(struct: StructSpec, out: string[], root: boolean): void {
    const name = struct.typeName
    const structFlex = this.flexOf(struct)
    out.push(`function write${name}(w: Writer, version: number, value: ${name}): void {`)
    if (root) {
      this.used.add('unsupportedVersion')
      const { min, max } = this.message.validVersions
      out.push(
        `  if (version < ${min} || version > ${max}) throw unsupportedVersion('${this.apiName}', version, ${min}, ${max})`,
      )
    }
    if (structFlex === 'flexible') out.push(`  const flexible = version >= ${this.firstFlexible}`)
    const tagged: FieldSpec[] = []
    for (const field of struct.fields) {
      const access = `value.${field.property}`
      const present = this.presence(struct, field)
      const absentCheck = this.absentCheck(field, access)
      if (field.tag !== undefined) {
        if (present !== false) tagged.push(field)
        if (absentCheck && present !== true)
          out.push(
            `  if (${present === false ? '' : `!(${present}) && `}(${absentCheck.condition})) ${absentCheck.error}`,
          )
        continue
      }
      const flex = this.flexOf(struct, field)
      const nullable = isNullableAnywhere(field)
      const body: string[] = []
      const nullCheck = this.nullCheck(struct, field, access)
      if (nullCheck) body.push(nullCheck)
      body.push(...this.writeStatements(field.type, access, 'w', flex, nullable, ''))
      if (present === true) {
        for (const line of body) out.push(`  ${line}`)
      } else if (present === false) {
        if (absentCheck) out.push(`  if (${absentCheck.condition}) ${absentCheck.error}`)
      } else {
        out.push(`  if (${present}) {`)
        for (const line of body) out.push(`    ${line}`)
        if (absentCheck) out.push(`  } else if (${absentCheck.condition}) {`, `    ${absentCheck.error}`)
        out.push('  }')
      }
    }
    if (structFlex !== false) {
      const guard = structFlex === true ? '' : 'if (flexible) '
      if (tagged.length === 0) {
        this.used.add('writeTaggedFields')
        out.push(`  ${guard}writeTaggedFields(w, undefined, value.unknownTaggedFields)`)
      } else {
        this.used.add('writeTaggedFields')
        if (structFlex !== true) out.push('  if (flexible) {')
        const indent = structFlex === true ? '  ' : '    '
        out.push(`${indent}const tagged: TaggedField[] = []`)
        tagged.sort((a, b) => a.tag! - b.tag!)
        for (const field of tagged) {
          const access = `value.${field.property}`
          const present = this.taggedPresence(struct, field)
          const conditions = [this.nonDefault(field, access)]
          if (present !== true) conditions.unshift(String(present))
          const joined = conditions
            .map((c) => (conditions.length > 1 && c.includes('||') ? `(${c})` : c))
            .join(' && ')
          out.push(`${indent}if (${joined}) {`)
          this.used.add('new Writer')
          out.push(`${indent}  const fieldWriter = new Writer(64)`)
          for (const line of this.writeStatements(
            field.type,
            access,
            'fieldWriter',
            true,
            isNullableAnywhere(field),
            `${indent}  `,
          ))
            out.push(line)
          out.push(
            `${indent}  tagged.push({ tag: ${field.tag}, data: fieldWriter.toBuffer() })`,
            `${indent}}`,
          )
        }
        out.push(`${indent}writeTaggedFields(w, tagged, value.unknownTaggedFields)`)
        if (structFlex !== true) out.push('  }')
      }
    }
    out.push('}', '')
  }

  /** For a field that is not ignorable: the check that throws when a version that lacks it is given a value. */
  absentCheck(field: FieldSpec, access: string): { condition: string; error: string } | undefined {
    if (field.ignorable) return undefined
    this.used.add('unsupportedField')
    const range = field.tag === undefined ? field.versions : field.taggedVersions
    return {
      condition: this.nonDefault(field, access),
      error: `throw unsupportedField('${this.apiName}', version, '${field.property}', '${describeRange(range)}')`,
    }
  }

  /** When a field is nullable in only some of its versions: the check that rejects null in the others. */
  nullCheck(struct: StructSpec, field: FieldSpec, access: string): string | undefined {
    if (!isNullableAnywhere(field) || (field.type.kind === 'primitive' && field.type.name === 'records'))
      return undefined
    const present = intersect(field.versions, struct.versions)
    const nullable = intersect(field.nullableVersions, present)
    if (nullable.min <= present.min && nullable.max >= present.max) return undefined
    const parts: string[] = []
    if (nullable.min > present.min) parts.push(`version < ${nullable.min}`)
    if (nullable.max < present.max) parts.push(`version > ${nullable.max}`)
    this.used.add('nonNullableField')
    return `if (${access} === null && (${parts.join(' || ')})) throw nonNullableField('${this.apiName}', version, '${field.property}', '${describeRange(field.nullableVersions)}')`
  }

  // ---------------------------------------------------------------- decoders

  readExpression(type: FieldType, r: string, flex: Flex, nullable: boolean): string {
    if (type.kind === 'struct') {
      const call = `read${type.struct.typeName}(${r}, version)`
      return nullable ? `${r}.int8() < 0 ? null : ${call}` : call
    }
    if (type.kind === 'array') throw new Error('arrays are read by statements')
    switch (type.name) {
      case 'string':
        return this.helper(nullable ? 'readNullableString' : 'readString', r, flex)
      case 'bytes':
        return this.helper(nullable ? 'readNullableBytes' : 'readBytes', r, flex)
      case 'records':
        return this.helper('readNullableBytes', r, flex)
      default:
        return `${r}.${type.name}()`
    }
  }

  helper(name: string, r: string, flex: Flex): string {
    this.used.add(name)
    return `${name}(${r}, ${flex})`
  }

  /** Minimum encoded size of a value of `type`, a safe lower bound used to reject impossible array counts. */
  minSize(type: FieldType, flex: Flex): number {
    const compact = flex !== false
    if (type.kind === 'array') return compact ? 1 : 4
    if (type.kind === 'struct') {
      const struct = type.struct
      let size = this.flexOf(struct) === true ? 1 : 0
      for (const field of struct.fields) {
        if (field.tag !== undefined || this.presence(struct, field) !== true) continue
        size +=
          isNullableAnywhere(field) && field.type.kind === 'struct'
            ? 1
            : this.minSize(field.type, this.flexOf(struct, field))
      }
      return size
    }
    switch (type.name) {
      case 'bool':
      case 'int8':
        return 1
      case 'int16':
      case 'uint16':
        return 2
      case 'int32':
        return 4
      case 'int64':
      case 'float64':
        return 8
      case 'uuid':
        return 16
      case 'string':
        return compact ? 1 : 2
      default:
        return compact ? 1 : 4
    }
  }

  /** Statements that read an array into `target` (already declared) or declare it. */
  readArray(
    field: FieldSpec,
    target: string,
    r: string,
    flex: Flex,
    declare: boolean,
    indent: string,
    startsNull = this.defaultExpr(field) === 'null',
  ): string[] {
    const type = field.type as { kind: 'array'; element: FieldType }
    const elementType = this.baseType(type.element)
    const count = `${target}Count`
    const element = this.readExpression(type.element, r, flex, false)
    const lines: string[] = [
      `${indent}const ${count} = ${r}.arrayLength(${flex}, ${this.minSize(type.element, flex)})`,
    ]
    const loop = (into: string): string => `for (let i = 0; i < ${count}; i++) ${into}.push(${element})`
    if (isNullableAnywhere(field)) {
      const body = [`${indent}  ${target} = []`, `${indent}  ${loop(target)}`]
      if (startsNull) lines.push(`${indent}if (${count} !== null) {`, ...body, `${indent}}`)
      else
        lines.push(
          `${indent}if (${count} === null) ${target} = null`,
          `${indent}else {`,
          ...body,
          `${indent}}`,
        )
      return lines
    }
    this.used.add('nullArrayError')
    lines.push(
      `${indent}if (${count} === null) throw nullArrayError('${this.message.name}', '${field.property}')`,
    )
    if (declare) lines.push(`${indent}const ${target}: ${elementType}[] = []`)
    lines.push(`${indent}${loop(target)}`)
    return lines
  }

  emitReader(struct: StructSpec, out: string[], root: boolean): void {
    const name = struct.typeName
    const structFlex = this.flexOf(struct)
    out.push(`function read${name}(r: Reader, version: number): ${name} {`)
    if (root) {
      const { min, max } = this.message.validVersions
      out.push(
        `  if (version < ${min} || version > ${max}) throw unsupportedVersion('${this.apiName}', version, ${min}, ${max})`,
      )
    }
    if (structFlex === 'flexible') out.push(`  const flexible = version >= ${this.firstFlexible}`)
    const tagged: FieldSpec[] = []
    for (const field of struct.fields) {
      const target = local(field)
      const present = this.presence(struct, field)
      const flex = this.flexOf(struct, field)
      const nullable = isNullableAnywhere(field)
      const isArray = field.type.kind === 'array'
      if (field.tag !== undefined || present !== true) {
        out.push(
          `  ${present !== false ? 'let' : 'const'} ${target}: ${this.tsType(field)} = ${this.defaultExpr(field)}`,
        )
        if (field.tag !== undefined) {
          if (present !== false) tagged.push(field)
          continue
        }
        if (present === false) continue
        if (isArray) {
          out.push(`  if (${present}) {`, ...this.readArray(field, target, 'r', flex, false, '    '), '  }')
        } else {
          out.push(`  if (${present}) ${target} = ${this.readExpression(field.type, 'r', flex, nullable)}`)
        }
        continue
      }
      if (isArray) {
        if (nullable) {
          out.push(`  let ${target}: ${this.tsType(field)} = null`)
          out.push(...this.readArray(field, target, 'r', flex, false, '  ', true))
        } else {
          out.push(...this.readArray(field, target, 'r', flex, true, '  '))
        }
      } else {
        out.push(`  const ${target} = ${this.readExpression(field.type, 'r', flex, nullable)}`)
      }
    }
    if (structFlex !== false) {
      this.used.add('TaggedField')
      if (tagged.length === 0) {
        this.used.add('readUnknownTaggedFields')
        if (structFlex === true) out.push('  const unknownTaggedFields = readUnknownTaggedFields(r)')
        else out.push('  const unknownTaggedFields = flexible ? readUnknownTaggedFields(r) : undefined')
      } else {
        out.push('  let unknownTaggedFields: TaggedField[] | undefined')
        const indent = structFlex === true ? '  ' : '    '
        if (structFlex !== true) out.push('  if (flexible) {')
        out.push(`${indent}const taggedCount = r.unsignedVarint()`)
        out.push(`${indent}for (let tagIndex = 0; tagIndex < taggedCount; tagIndex++) {`)
        out.push(`${indent}  const tag = r.unsignedVarint()`, `${indent}  const size = r.unsignedVarint()`)
        let first = true
        for (const field of tagged) {
          const present = this.taggedPresence(struct, field)
          const condition = present === true ? `tag === ${field.tag}` : `tag === ${field.tag} && ${present}`
          out.push(`${indent}  ${first ? '' : '} else '}if (${condition}) {`)
          first = false
          // A known tagged field is read from exactly its declared bytes, so a newer encoding cannot overrun.
          this.used.add('new Reader')
          out.push(`${indent}    const fieldReader = new Reader(r.raw(size))`)
          const target = local(field)
          if (field.type.kind === 'array')
            out.push(...this.readArray(field, target, 'fieldReader', true, false, `${indent}    `))
          else
            out.push(
              `${indent}    ${target} = ${this.readExpression(field.type, 'fieldReader', true, isNullableAnywhere(field))}`,
            )
        }
        out.push(`${indent}  } else {`)
        out.push(`${indent}    unknownTaggedFields ??= []`)
        out.push(`${indent}    unknownTaggedFields.push({ tag, data: r.raw(size) })`)
        out.push(`${indent}  }`, `${indent}}`)
        if (structFlex !== true) out.push('  }')
      }
    }
    const properties = struct.fields.map((f) =>
      local(f) === f.property ? f.property : `${f.property}: ${local(f)}`,
    )
    const literal = properties.length === 0 ? '{}' : `{\n    ${properties.join(',\n    ')},\n  }`
    if (structFlex === false) {
      out.push(`  return ${literal}`)
    } else {
      out.push(`  const value: ${name} = ${literal}`)
      out.push('  if (unknownTaggedFields !== undefined) value.unknownTaggedFields = unknownTaggedFields')
      out.push('  return value')
    }
    out.push('}', '')
  }

  /** Everything for this message: interfaces, factories, predicates, encoders, decoders. */
  emit(): string[] {
    const out: string[] = []
    const codecs: string[] = []
    for (const struct of this.message.structs) {
      this.emitInterface(struct, out)
      this.emitFactory(struct, out)
      this.emitWriter(struct, codecs, struct === this.message.root)
      this.emitReader(struct, codecs, struct === this.message.root)
    }
    // Predicates are discovered while emitting encoders; include structs they reach, transitively.
    const predicates: string[] = []
    const done = new Set<StructSpec>()
    for (;;) {
      const next = [...this.needsIsDefault].find((s) => !done.has(s))
      if (!next) break
      done.add(next)
      this.emitIsDefault(next, predicates)
    }
    return [...out, ...predicates, ...codecs]
  }
}

const BANNER = '// Generated by tools/codegen from Apache Kafka'

function header(sources: string[], used: Set<string>, api: boolean): string[] {
  const supportNames = [...used]
    .filter((n) => !['TaggedField', 'new Reader', 'new Writer'].includes(n))
    .sort()
  const lines = [
    `${BANNER}'s ${sources.join(' and ')} (kafka-clients 4.3.1) — do not edit.`,
    '// Regenerate with `npm run generate`; CI runs `npm run generate -- --check`.',
    '',
  ]
  if (api) lines.push("import type { ApiDefinition } from '../api.ts'")
  lines.push(`import ${used.has('new Reader') ? '' : 'type '}{ Reader } from '../primitives/reader.ts'`)
  lines.push(`import ${used.has('new Writer') ? '' : 'type '}{ Writer } from '../primitives/writer.ts'`)
  const imports = [...(used.has('TaggedField') ? ['type TaggedField'] : []), ...supportNames]
  if (imports.length > 0) lines.push(`import { ${imports.join(', ')} } from './support.ts'`)
  lines.push('')
  return lines
}

export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

/** The module of one API, e.g. `offset-commit.ts`. */
export function emitApiModule(api: ApiSpec): string {
  const request = new MessageEmitter(api.request, api.name)
  const response = new MessageEmitter(api.response, api.name)
  const body = [...request.emit(), ...response.emit()]
  const used = new Set([...request.used, ...response.used])
  const min = api.request.validVersions.min
  const max = api.request.validVersions.max
  const flexible = api.request.flexibleVersions.min
  const req = api.request.name
  const res = api.response.name
  const definition = [
    ...body,
    `/** ${api.name} (API key ${api.apiKey}), v${min}-${max}${Number.isFinite(flexible) ? `, flexible from v${flexible}` : ''}. */`,
    `export const ${api.name}: ApiDefinition<${req}, ${res}> = {`,
    `  apiKey: ${api.apiKey},`,
    `  name: '${api.name}',`,
    `  minVersion: ${min},`,
    `  maxVersion: ${max},`,
    `  firstFlexibleVersion: ${Number.isFinite(flexible) ? flexible : 'Number.POSITIVE_INFINITY'},`,
    `  encodeRequest: write${api.request.root.typeName},`,
    `  decodeResponse: read${api.response.root.typeName},`,
    `  decodeRequest: read${api.request.root.typeName},`,
    `  encodeResponse: write${api.response.root.typeName},`,
    '}',
    '',
  ]
  return [...header([`${req}.json`, `${res}.json`], used, true), ...definition].join('\n')
}

/** `request-header.ts` / `response-header.ts`, with `encode…`/`decode…` entry points taking the header version. */
export function emitHeaderModule(message: MessageSpec): string {
  const emitter = new MessageEmitter(message, message.name)
  const body = emitter.emit()
  const name = message.name
  const entry = [
    `/** Writes a ${name} of \`headerVersion\`. */`,
    `export function encode${name}(writer: Writer, headerVersion: number, header: ${name}): void {`,
    `  write${name}(writer, headerVersion, header)`,
    '}',
    '',
    `/** Reads a ${name} of \`headerVersion\`. */`,
    `export function decode${name}(reader: Reader, headerVersion: number): ${name} {`,
    `  return read${name}(reader, headerVersion)`,
    '}',
    '',
  ]
  return [...header([`${name}.json`], emitter.used, false), ...body, ...entry].join('\n')
}

export { BANNER }
