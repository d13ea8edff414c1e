/**
 * `npm run generate`: regenerates the protocol codecs in src/protocol/messages/ from the Kafka message schemas
 * inside the pinned kafka-clients jar, and the error table in src/protocol/errors/ from the kafka-clients
 * sources jar.
 *
 * `npm run generate -- --check` regenerates in memory and exits non-zero if anything committed differs, so CI
 * catches hand edits to generated files and forgotten regenerations.
 */

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emitErrorCodesModule } from './emit-error-codes.ts'
import { BANNER, emitApiModule, emitHeaderModule, kebabCase } from './emit-message.ts'
import { ensureGeneratorInputs } from './kafka-inputs.ts'
import { loadApis } from './schema.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const messagesDir = join(root, 'src', 'protocol', 'messages')
const errorsDir = join(root, 'src', 'protocol', 'errors')

function emitIndex(apiNames: string[]): string {
  const lines = [
    `${BANNER}'s message schemas (kafka-clients 4.3.1) — do not edit.`,
    '// Regenerate with `npm run generate`; CI runs `npm run generate -- --check`.',
    '',
    "import type { ApiDefinition } from '../api.ts'",
  ]
  for (const name of apiNames) lines.push(`import { ${name} } from './${kebabCase(name)}.ts'`)
  lines.push('', `export {\n  ${apiNames.join(',\n  ')},\n}`, '')
  lines.push('/** Every API samsa has codecs for, by API key. */')
  lines.push(
    'export const apiByKey: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map<number, ApiDefinition<unknown, unknown>>([',
  )
  for (const name of apiNames) lines.push(`  [${name}.apiKey, ${name} as ApiDefinition<unknown, unknown>],`)
  lines.push('])', '')
  return lines.join('\n')
}

/** Every generated file, keyed by absolute path. */
function generate(): Map<string, string> {
  const files = new Map<string, string>()
  const { apis, requestHeader, responseHeader } = loadApis()
  for (const api of apis) files.set(join(messagesDir, `${kebabCase(api.name)}.ts`), emitApiModule(api))
  files.set(join(messagesDir, 'request-header.ts'), emitHeaderModule(requestHeader))
  files.set(join(messagesDir, 'response-header.ts'), emitHeaderModule(responseHeader))
  files.set(join(messagesDir, 'index.ts'), emitIndex(apis.map((a) => a.name)))
  const errorCodes = emitErrorCodesModule()
  if (errorCodes === undefined) {
    console.warn(
      'kafka-clients sources jar not found, error-codes.ts left as is. Fetch it with: mvn -q dependency:copy -Dartifact=org.apache.kafka:kafka-clients:4.3.1:jar:sources -DoutputDirectory=~/.cache/samsa/kafka-4.3.1/sources',
    )
  } else {
    const path = join(errorsDir, 'error-codes.ts')
    files.set(path, formatWithBiome(path, errorCodes))
  }
  return files
}

/**
 * The error table lives outside the folder biome ignores, so it is emitted exactly as biome would format it;
 * otherwise `biome check --write` and `generate --check` would fight over it.
 */
function formatWithBiome(path: string, source: string): string {
  return execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', `--stdin-file-path=${path}`], {
    input: source,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Generated files that exist on disk but would no longer be generated (e.g. an API removed from the jar). */
function staleFiles(files: Map<string, string>): string[] {
  if (!existsSync(messagesDir)) return []
  return readdirSync(messagesDir)
    .map((name) => join(messagesDir, name))
    .filter((path) => !files.has(path) && readFileSync(path, 'utf8').startsWith(BANNER))
}

function main(): void {
  const check = process.argv.includes('--check')
  const files = generate()
  const differing: string[] = []
  for (const [path, content] of files) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined
    if (current === content) continue
    differing.push(relative(root, path))
    if (!check) {
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, content)
    }
  }
  const stale = staleFiles(files).map((path) => relative(root, path))
  if (check) {
    if (differing.length + stale.length > 0) {
      for (const path of differing) console.error(`out of date: ${path}`)
      for (const path of stale) console.error(`no longer generated: ${path}`)
      console.error('Run `npm run generate` and commit the result.')
      process.exitCode = 1
    } else {
      console.log(`${files.size} generated files are up to date.`)
    }
    return
  }
  for (const path of stale) console.warn(`no longer generated, delete it: ${path}`)
  console.log(`${files.size} files generated, ${differing.length} changed.`)
}

await ensureGeneratorInputs()
main()
