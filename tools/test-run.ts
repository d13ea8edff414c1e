/**
 * `npm test`: every check the project has, in one run, ending with one machine-readable line.
 *
 *   1. `npm run generate -- --check` (generated codecs match the schemas), when the generator exists
 *   2. `npm run docs:options -- --check` (docs/options.md matches the option tables)
 *   3. `tsc --noEmit`
 *   4. `biome check .`
 *   5. vitest, both projects (`unit`, then `integration` with its broker)
 *
 * Every step runs even after a failure, so one run shows everything that is wrong. Each static check counts
 * as one test case; vitest contributes its own test cases. The last line printed is exactly
 * `N passed, N failed` (or `N passed, N failed, N skipped`), and the exit status is non-zero if anything
 * failed. Extra arguments are passed to vitest, e.g. `npm test -- --project unit`.
 */

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')

interface Tally {
  passed: number
  failed: number
  skipped: number
}

const tally: Tally = { passed: 0, failed: 0, skipped: 0 }
const outcomes: string[] = []

function record(name: string, outcome: 'passed' | 'failed' | 'skipped', detail = ''): void {
  tally[outcome] += 1
  outcomes.push(`${outcome === 'passed' ? 'ok  ' : outcome === 'failed' ? 'FAIL' : 'skip'} ${name}${detail}`)
}

/** Runs `node <script> ...args` from the repo root with inherited output; resolves with the exit code. */
function runNode(script: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.on('error', (error) => {
      process.stderr.write(`test-run: cannot run ${script}: ${error.message}\n`)
      resolve(1)
    })
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
  })
}

async function staticCheck(name: string, script: string, args: readonly string[]): Promise<void> {
  process.stdout.write(`\n=== ${name} ===\n`)
  const code = await runNode(script, args)
  record(name, code === 0 ? 'passed' : 'failed', code === 0 ? '' : ` (exit code ${code})`)
}

async function generatorCheck(): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>
  }
  const generator = join(root, 'tools', 'codegen', 'main.ts')
  if (manifest.scripts?.generate === undefined || !existsSync(generator)) {
    record('generate --check', 'skipped', ' (no generator yet)')
    return
  }
  await staticCheck('generate --check', generator, ['--check'])
}

interface VitestJsonReport {
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTodoTests: number
  testResults: { name: string; status: string; message?: string; assertionResults: unknown[] }[]
}

async function vitest(extraArgs: readonly string[]): Promise<void> {
  process.stdout.write('\n=== vitest ===\n')
  const reportDir = mkdtempSync(join(tmpdir(), 'samsa-test-run-'))
  const reportPath = join(reportDir, 'vitest.json')
  try {
    const code = await runNode(join(root, 'node_modules', 'vitest', 'vitest.mjs'), [
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportPath}`,
      ...extraArgs,
    ])
    if (!existsSync(reportPath)) {
      record('vitest', 'failed', ` (exit code ${code}, no report written)`)
      return
    }
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as VitestJsonReport
    tally.passed += report.numPassedTests
    tally.failed += report.numFailedTests
    tally.skipped += report.numPendingTests + report.numTodoTests
    outcomes.push(
      `     vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`,
    )
    // A file that fails to load contributes no test cases; count it so it cannot pass unnoticed.
    for (const file of report.testResults) {
      if (file.status === 'failed' && file.assertionResults.length === 0) {
        record(`vitest file ${file.name.replace(`${root}/`, '')}`, 'failed', ' (did not load)')
      }
    }
    // Unhandled errors fail the run without failing any test case.
    if (code !== 0 && tally.failed === 0) record('vitest', 'failed', ` (exit code ${code})`)
  } finally {
    rmSync(reportDir, { recursive: true, force: true })
  }
}

await generatorCheck()
await staticCheck('docs:options --check', join(root, 'tools', 'options-doc.ts'), ['--check'])
await staticCheck('typecheck (tsc --noEmit)', join(root, 'node_modules', 'typescript', 'bin', 'tsc'), [
  '-p',
  'tsconfig.json',
  '--noEmit',
])
await staticCheck('lint (biome check .)', join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), [
  'check',
  '.',
])
await vitest(process.argv.slice(2))

process.stdout.write(`\n${outcomes.join('\n')}\n`)
const summary = `${tally.passed} passed, ${tally.failed} failed${tally.skipped > 0 ? `, ${tally.skipped} skipped` : ''}`
process.stdout.write(`${summary}\n`)
process.exitCode = tally.failed > 0 ? 1 : 0
