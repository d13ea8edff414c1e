/**
 * Kafka's JSON message schemas, loaded from the kafka-clients jar and resolved into a model the emitters use:
 * version ranges are parsed, struct types are resolved (inline or `commonStructs`), and every struct learns
 * the range of versions in which it can appear at all, so emitted version guards are only those that matter.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { kafkaLibsDir } from '../../src/rig/paths.ts'
import { parseJsonWithComments } from './json-with-comments.ts'
import { zipEntries } from './zip.ts'

/** Inclusive version range; `max` is `Infinity` for open ranges (`3+`) and `min > max` means none. */
export interface VersionRange {
  min: number
  max: number
}

export const NO_VERSIONS: VersionRange = { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY }

export type PrimitiveName =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'struct'; struct: StructSpec }
  | { kind: 'array'; element: FieldType }

export interface FieldSpec {
  /** Name as in the schema, e.g. `ErrorCode`. */
  schemaName: string
  /** Property name in TypeScript, e.g. `errorCode`. */
  property: string
  type: FieldType
  versions: VersionRange
  nullableVersions: VersionRange
  /** Field-level override of the message's flexible versions (only RequestHeader.ClientId uses it). */
  flexibleVersions: VersionRange | undefined
  tag: number | undefined
  taggedVersions: VersionRange
  ignorable: boolean
  /** The schema's `default` string, if any. */
  defaultValue: string | undefined
  about: string
}

export interface StructSpec {
  /** Name in the schema, e.g. `OffsetCommitRequestTopic`. */
  schemaName: string
  /** Name of the emitted interface (prefixed with the message name when two structs of a file collide). */
  typeName: string
  about: string
  fields: FieldSpec[]
  /** The versions in which this struct can be encoded at all (hull over every place it is used). */
  versions: VersionRange
}

export interface MessageSpec {
  /** e.g. `OffsetCommitRequest`. */
  name: string
  type: 'request' | 'response' | 'header'
  apiKey: number | undefined
  listeners: string[]
  validVersions: VersionRange
  flexibleVersions: VersionRange
  root: StructSpec
  /** Every struct including the root, parents before children. */
  structs: StructSpec[]
}

export function parseVersionRange(text: string | undefined, what: string): VersionRange {
  if (text === undefined || text === 'none') return NO_VERSIONS
  let match = /^(\d+)\+$/.exec(text)
  if (match) return { min: Number(match[1]), max: Number.POSITIVE_INFINITY }
  match = /^(\d+)-(\d+)$/.exec(text)
  if (match) return { min: Number(match[1]), max: Number(match[2]) }
  match = /^(\d+)$/.exec(text)
  if (match) return { min: Number(match[1]), max: Number(match[1]) }
  throw new Error(`${what}: cannot parse version range "${text}"`)
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const min = Math.max(a.min, b.min)
  const max = Math.min(a.max, b.max)
  return min > max ? NO_VERSIONS : { min, max }
}

export function hull(a: VersionRange, b: VersionRange): VersionRange {
  if (isEmpty(a)) return b
  if (isEmpty(b)) return a
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) }
}

export function isEmpty(range: VersionRange): boolean {
  return range.min > range.max
}

export function contains(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max
}

/** `v7+`, `v0-14`, `v3`. */
export function describeRange(range: VersionRange): string {
  if (isEmpty(range)) return 'no version'
  if (range.max === Number.POSITIVE_INFINITY) return `v${range.min}+`
  if (range.min === range.max) return `v${range.min}`
  return `v${range.min}-${range.max}`
}

const PRIMITIVES = new Set<string>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
])

interface RawField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  flexibleVersions?: string
  tag?: number
  taggedVersions?: string
  ignorable?: boolean
  default?: string | number | boolean
  about?: string
  fields?: RawField[]
}

interface RawMessage {
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data'
  listeners?: string[]
  name: string
  validVersions: string
  flexibleVersions: string
  fields: RawField[]
  commonStructs?: { name: string; versions: string; about?: string; fields: RawField[] }[]
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

/** Builds the model of one schema file. */
export function resolveMessage(raw: RawMessage): MessageSpec {
  const where = raw.name
  const validVersions = parseVersionRange(raw.validVersions, where)
  const flexibleVersions = parseVersionRange(raw.flexibleVersions, where)
  const structs = new Map<string, StructSpec>()
  const order: StructSpec[] = []
  const common = new Map((raw.commonStructs ?? []).map((s) => [s.name, s]))

  function struct(name: string, about: string, rawFields: RawField[], versions: VersionRange): StructSpec {
    const existing = structs.get(name)
    if (existing) {
      existing.versions = hull(existing.versions, versions)
      // A common struct used from several places must see its children widened too.
      for (const field of existing.fields) widenChildren(field, existing.versions)
      return existing
    }
    const spec: StructSpec = { schemaName: name, typeName: name, about, fields: [], versions }
    structs.set(name, spec)
    order.push(spec)
    for (const rawField of rawFields) spec.fields.push(field(rawField, spec))
    return spec
  }

  function widenChildren(field: FieldSpec, parentVersions: VersionRange): void {
    let type = field.type
    while (type.kind === 'array') type = type.element
    if (type.kind === 'struct') {
      const child = type.struct
      const widened = hull(child.versions, intersect(parentVersions, field.versions))
      if (widened.min !== child.versions.min || widened.max !== child.versions.max) {
        child.versions = widened
        for (const f of child.fields) widenChildren(f, widened)
      }
    }
  }

  function fieldType(rawField: RawField, versions: VersionRange): FieldType {
    const isArray = rawField.type.startsWith('[]')
    const base = isArray ? rawField.type.slice(2) : rawField.type
    let type: FieldType
    if (PRIMITIVES.has(base)) {
      if (rawField.fields) throw new Error(`${where}.${rawField.name}: primitive type with fields`)
      type = { kind: 'primitive', name: base as PrimitiveName }
    } else if (rawField.fields) {
      type = { kind: 'struct', struct: struct(base, rawField.about ?? '', rawField.fields, versions) }
    } else {
      const shared = common.get(base)
      if (!shared) throw new Error(`${where}.${rawField.name}: unknown type ${base}`)
      type = { kind: 'struct', struct: struct(base, shared.about ?? '', shared.fields, versions) }
    }
    return isArray ? { kind: 'array', element: type } : type
  }

  function field(rawField: RawField, parent: StructSpec): FieldSpec {
    const what = `${where}.${rawField.name}`
    const versions = parseVersionRange(rawField.versions, what)
    const taggedVersions = parseVersionRange(rawField.taggedVersions, what)
    if (rawField.tag !== undefined) {
      // Fields tagged in only some of their versions do not occur in Kafka's schemas; refuse rather than guess.
      if (taggedVersions.min !== versions.min || taggedVersions.max !== versions.max) {
        throw new Error(`${what}: taggedVersions differ from versions`)
      }
    }
    const reachable = intersect(parent.versions, versions)
    return {
      schemaName: rawField.name,
      property: lowerFirst(rawField.name),
      type: fieldType(rawField, reachable),
      versions,
      nullableVersions: parseVersionRange(rawField.nullableVersions, what),
      flexibleVersions:
        rawField.flexibleVersions === undefined
          ? undefined
          : parseVersionRange(rawField.flexibleVersions, what),
      tag: rawField.tag,
      taggedVersions,
      ignorable: rawField.ignorable === true,
      defaultValue: rawField.default === undefined ? undefined : String(rawField.default),
      about: rawField.about ?? '',
    }
  }

  const root = struct(raw.name, '', raw.fields, validVersions)
  if (raw.type === 'data') throw new Error(`${where}: data schemas are not messages`)
  return {
    name: raw.name,
    type: raw.type,
    apiKey: raw.apiKey,
    listeners: raw.listeners ?? [],
    validVersions,
    flexibleVersions,
    root,
    structs: order,
  }
}

/** Where the pinned kafka-clients jar lives; `SAMSA_KAFKA_CLIENTS_JAR` overrides it. */
export function kafkaClientsJarPath(): string {
  return process.env.SAMSA_KAFKA_CLIENTS_JAR ?? join(kafkaLibsDir(), 'kafka-clients-4.3.1.jar')
}

/** Reads every `common/message/*.json` schema in the jar, keyed by message name (e.g. `FetchRequest`). */
export function loadRawSchemas(jarPath = kafkaClientsJarPath()): Map<string, RawMessage> {
  const schemas = new Map<string, RawMessage>()
  for (const entry of zipEntries(readFileSync(jarPath))) {
    if (!/^common\/message\/[A-Za-z]+\.json$/.test(entry.name)) continue
    const raw = parseJsonWithComments(entry.read().toString('utf8')) as RawMessage
    schemas.set(raw.name, raw)
  }
  if (schemas.size === 0) throw new Error(`no message schemas found in ${jarPath}`)
  return schemas
}

/** One client-facing API: its request and response schemas. */
export interface ApiSpec {
  /** e.g. `OffsetCommit`. */
  name: string
  apiKey: number
  request: MessageSpec
  response: MessageSpec
}

/**
 * APIs a broker listener accepts but only other brokers send, so no client (nor a test broker standing in for
 * a cluster) speaks them: the transaction coordinator's markers to partition leaders, and the share
 * coordinator's state persistence (KIP-932), which the share-group client APIs sit on top of.
 */
const BROKER_TO_BROKER_APIS: ReadonlySet<string> = new Set([
  'WriteTxnMarkers',
  'InitializeShareGroupState',
  'ReadShareGroupState',
  'WriteShareGroupState',
  'DeleteShareGroupState',
  'ReadShareGroupStateSummary',
])

/**
 * Every API a client talks to, sorted by API key: the requests that list the `broker` listener (so not the
 * controller-only ones), minus {@link BROKER_TO_BROKER_APIS}. Struct names are made unique per API: a struct
 * name used by both the request and the response is prefixed with its message's name.
 */
export function loadApis(jarPath?: string): {
  apis: ApiSpec[]
  requestHeader: MessageSpec
  responseHeader: MessageSpec
} {
  const raw = loadRawSchemas(jarPath)
  const apis: ApiSpec[] = []
  for (const [name, schema] of raw) {
    if (schema.type !== 'request' || !(schema.listeners ?? []).includes('broker')) continue
    const apiName = name.replace(/Request$/, '')
    if (BROKER_TO_BROKER_APIS.has(apiName)) continue
    const responseSchema = raw.get(`${apiName}Response`)
    if (!responseSchema) throw new Error(`${name} has no response schema`)
    const request = resolveMessage(schema)
    const response = resolveMessage(responseSchema)
    const requestNames = new Set(request.structs.map((s) => s.schemaName))
    for (const s of response.structs) {
      if (s !== response.root && requestNames.has(s.schemaName)) {
        request.structs.find((r) => r.schemaName === s.schemaName)!.typeName =
          `${request.name}${s.schemaName}`
        s.typeName = `${response.name}${s.schemaName}`
      }
    }
    apis.push({ name: apiName, apiKey: schema.apiKey!, request, response })
  }
  apis.sort((a, b) => a.apiKey - b.apiKey)
  const requestHeader = raw.get('RequestHeader')
  const responseHeader = raw.get('ResponseHeader')
  if (!requestHeader || !responseHeader) throw new Error('header schemas missing from the jar')
  return {
    apis,
    requestHeader: resolveMessage(requestHeader),
    responseHeader: resolveMessage(responseHeader),
  }
}
