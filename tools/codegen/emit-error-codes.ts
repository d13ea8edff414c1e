/**
 * Emits src/protocol/errors/error-codes.ts from the Java client's `Errors` enum in the kafka-clients sources
 * jar: every error code with its constant name and whether it is retriable. Kafka's own
 * descriptions are not copied; samsa's explanations are written by hand in broker-error.ts.
 *
 * Retriability is not written in the enum; it follows from each code's exception class, so the generator walks
 * the class's `extends` chain through the sources until it reaches `RetriableException` (retriable) or runs out.
 * The same walk finds the codes whose exception extends `InvalidMetadataException`: the Java client's rule for
 * "the metadata this request was routed by is out of date".
 *
 * Besides the table, the module exports `ErrorCode`, one named constant per code (`ErrorCode.NOT_COORDINATOR`),
 * so no source file spells an error code as a number.
 */

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { kafkaHome } from '../../src/rig/paths.ts'
import { zipEntries } from './zip.ts'

export interface ErrorCodeSpec {
  code: number
  name: string
  retriable: boolean
  invalidMetadata: boolean
}

const ERRORS_JAVA = 'org/apache/kafka/common/protocol/Errors.java'

export function kafkaClientsSourcesJarPath(): string {
  return (
    process.env.SAMSA_KAFKA_CLIENTS_SOURCES_JAR ??
    join(kafkaHome(), 'sources', 'kafka-clients-4.3.1-sources.jar')
  )
}

/** Splits the enum constants `NAME(args)` of `Errors.java`, respecting nested parentheses and string literals. */
function enumConstants(source: string): { name: string; args: string }[] {
  const start = source.indexOf('public enum Errors {')
  if (start === -1) throw new Error('Errors.java: enum declaration not found')
  const constants: { name: string; args: string }[] = []
  const pattern = /\s*(?:\/\/[^\n]*\n\s*)*([A-Z][A-Z0-9_]*)\(/y
  let at = start + 'public enum Errors {'.length
  for (;;) {
    pattern.lastIndex = at
    const match = pattern.exec(source)
    if (!match) break
    let i = pattern.lastIndex
    let depth = 1
    while (depth > 0) {
      const c = source[i]
      if (c === undefined) throw new Error(`Errors.java: unterminated constant ${match[1]}`)
      if (c === '"') {
        i++
        while (source[i] !== '"') i += source[i] === '\\' ? 2 : 1
      } else if (c === '(') depth++
      else if (c === ')') depth--
      i++
    }
    constants.push({ name: match[1]!, args: source.slice(pattern.lastIndex, i - 1) })
    const separator = /\s*([,;])/y
    separator.lastIndex = i
    const next = separator.exec(source)
    if (!next || next[1] === ';') break
    at = separator.lastIndex
  }
  return constants
}

/** Reads the error table from the sources jar, or `undefined` when the jar is not there. */
export function loadErrorCodes(jarPath = kafkaClientsSourcesJarPath()): ErrorCodeSpec[] | undefined {
  if (!existsSync(jarPath)) return undefined
  const files = new Map<string, () => Buffer>()
  for (const entry of zipEntries(readFileSync(jarPath))) files.set(entry.name, entry.read)
  const read = (path: string): string | undefined => files.get(path)?.().toString('utf8')
  const errorsSource = read(ERRORS_JAVA)
  if (errorsSource === undefined) throw new Error(`${jarPath} has no ${ERRORS_JAVA}`)

  /** Resolves a simple class name used in `source` (of package `pkg`) to its path in the jar. */
  function resolve(simpleName: string, source: string, pkg: string): string | undefined {
    const imported = new RegExp(`^import ([\\w.]+)\\.${simpleName};`, 'm').exec(source)
    if (imported) return `${imported[1]!.replaceAll('.', '/')}/${simpleName}.java`
    const samePackage = `${pkg.replaceAll('.', '/')}/${simpleName}.java`
    return files.has(samePackage) ? samePackage : undefined
  }

  /** Whether the class at `path` is, or extends, the class named `ancestor`. */
  const extendsCache = new Map<string, boolean>()
  function extendsClass(path: string, ancestor: string): boolean {
    const key = `${path}|${ancestor}`
    const cached = extendsCache.get(key)
    if (cached !== undefined) return cached
    const source = read(path)
    let result = false
    if (source !== undefined) {
      const simpleName = path.slice(path.lastIndexOf('/') + 1, -'.java'.length)
      if (simpleName === ancestor) result = true
      else {
        const parent = new RegExp(`class ${simpleName}\\b[^{]*?\\bextends\\s+(\\w+)`).exec(source)
        const pkg = /^package ([\w.]+);/m.exec(source)?.[1] ?? ''
        const parentPath = parent ? resolve(parent[1]!, source, pkg) : undefined
        result = parentPath !== undefined && extendsClass(parentPath, ancestor)
      }
    }
    extendsCache.set(key, result)
    return result
  }

  const codes: ErrorCodeSpec[] = []
  for (const { name, args } of enumConstants(errorsSource)) {
    const code = /^\s*(-?\d+)\s*,/.exec(args)
    if (!code) throw new Error(`Errors.java: ${name} has no numeric code`)
    const exceptionClass = /(\w+)::new/.exec(args)?.[1]
    const classPath =
      exceptionClass && resolve(exceptionClass, errorsSource, 'org.apache.kafka.common.protocol')
    codes.push({
      code: Number(code[1]),
      name,
      retriable: classPath ? extendsClass(classPath, 'RetriableException') : false,
      invalidMetadata: classPath ? extendsClass(classPath, 'InvalidMetadataException') : false,
    })
  }
  return codes.sort((a, b) => a.code - b.code)
}

export function emitErrorCodesModule(): string | undefined {
  const codes = loadErrorCodes()
  if (codes === undefined) return undefined
  const lines = [
    "// Generated by tools/codegen from Apache Kafka's org.apache.kafka.common.protocol.Errors (kafka-clients 4.3.1) — do not edit.",
    '// Regenerate with `npm run generate`; CI runs `npm run generate -- --check`.',
    '',
    "/** One of Kafka's protocol error codes. */",
    'export interface ErrorCodeInfo {',
    '  readonly code: number',
    "  /** The Java client's constant name, e.g. `NOT_LEADER_OR_FOLLOWER`. */",
    '  readonly name: string',
    '  /** Whether the Java client classifies the error as retriable (its exception extends RetriableException). */',
    '  readonly retriable: boolean',
    '  /**',
    "   * Whether the code means the metadata the request was routed by is out of date (the Java client's",
    '   * exception for it extends InvalidMetadataException): refresh metadata before retrying.',
    '   */',
    '  readonly invalidMetadata: boolean',
    '}',
    '',
    '/** Every error code Kafka 4.3.1 defines, ascending by code. */',
    'export const errorCodes: readonly ErrorCodeInfo[] = [',
  ]
  for (const c of codes) {
    lines.push(
      `  { code: ${c.code}, name: '${c.name}', retriable: ${c.retriable}, invalidMetadata: ${c.invalidMetadata} },`,
    )
  }
  lines.push(
    ']',
    '',
    "/** Kafka's error codes by their Java constant name, e.g. `ErrorCode.NOT_COORDINATOR` is 16. */",
    'export const ErrorCode = {',
  )
  for (const c of codes) lines.push(`  ${c.name}: ${c.code},`)
  lines.push(
    '} as const',
    '',
    "/** One of Kafka's error code constant names. */",
    'export type ErrorCodeName = keyof typeof ErrorCode',
    '',
  )
  return lines.join('\n')
}
