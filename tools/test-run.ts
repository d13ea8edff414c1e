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

/**
 * Runs `node <script> ...args` from the repo root with inherited output; resolves with the exit code and,
 * when `capture` is set, what it printed (still shown as it comes).
 */
function runNode(
  script: string,
  args: readonly string[],
  capture = false,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: root,
      stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
    })
    let output = ''
    for (const [stream, sink] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      stream?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8')
        sink.write(chunk)
      })
    }
    child.on('error', (error) => {
      process.stderr.write(`test-run: cannot run ${script}: ${error.message}\n`)
      resolve({ code: 1, output })
    })
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output }))
  })
}

async function staticCheck(name: string, script: string, args: readonly string[]): Promise<void> {
  process.stdout.write(`\n=== ${name} ===\n`)
  const { code } = await runNode(script, args)
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
  testResults: {
    name: string
    status: string
    message?: string
    assertionResults: { status: string }[]
  }[]
}

/** One vitest run with its JSON report; undefined when it wrote none. */
async function runVitest(
  args: readonly string[],
): Promise<{ code: number; report: VitestJsonReport | undefined; output: string; unhandledErrors: number }> {
  const reportDir = mkdtempSync(join(tmpdir(), 'samsa-test-run-'))
  const reportPath = join(reportDir, 'vitest.json')
  try {
    const { code, output } = await runNode(
      join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportPath}`, ...args],
      true,
    )
    const report = existsSync(reportPath)
      ? (JSON.parse(readFileSync(reportPath, 'utf8')) as VitestJsonReport)
      : undefined
    return { code, report, output, unhandledErrors: unhandledErrorCount(output) }
  } finally {
    rmSync(reportDir, { recursive: true, force: true })
  }
}

/** The count on vitest's `Errors  N error(s)` summary line: errors outside any test case. */
function unhandledErrorCount(output: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the summary is coloured with ANSI escapes
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '')
  const match = /^\s*Errors\s+(\d+) errors?\s*$/m.exec(plain)
  return match === null ? 0 : Number(match[1])
}

/**
 * Files whose test worker died under them. Vitest names each in an unhandled error ("Worker exited
 * unexpectedly ... while running test file <path>"); its report then shows the file failed, or still
 * running, with the test cases that had not finished left pending. (The Node 24 runtime has killed a worker
 * this way now and then, with SIGSEGV or in V8's own checks, with no test at fault.)
 */
function crashedFiles(report: VitestJsonReport, output: string): string[] {
  const named = new Set<string>()
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the output is coloured with ANSI escapes
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '')
  for (const match of plain.matchAll(/Worker exited unexpectedly .* while running test file (\S+)/g)) {
    named.add(match[1]!)
  }
  return report.testResults
    .filter(
      (file) =>
        named.has(file.name) ||
        (file.status === 'failed' &&
          file.assertionResults.length > 0 &&
          file.assertionResults.every((test) => test.status === 'pending')),
    )
    .map((file) => file.name)
}

/** Adds a report's test cases to the tally, leaving out the files in `except` (counted by a re-run). */
function tallyReport(report: VitestJsonReport, label: string, except: readonly string[] = []): void {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  for (const file of report.testResults) {
    if (except.includes(file.name)) continue
    for (const test of file.assertionResults) {
      if (test.status === 'passed') counts.passed++
      else if (test.status === 'failed') counts.failed++
      else counts.skipped++
    }
  }
  tally.passed += counts.passed
  tally.failed += counts.failed
  tally.skipped += counts.skipped
  outcomes.push(`     ${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  // A file that fails to load contributes no test cases; count it so it cannot pass unnoticed.
  for (const file of report.testResults) {
    if (except.includes(file.name)) continue
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      record(`vitest file ${file.name.replace(`${root}/`, '')}`, 'failed', ' (did not load)')
    }
  }
}

async function vitest(extraArgs: readonly string[]): Promise<void> {
  process.stdout.write('\n=== vitest ===\n')
  const first = await runVitest(extraArgs)
  if (first.report === undefined) {
    record('vitest', 'failed', ` (exit code ${first.code}, no report written)`)
    return
  }
  const crashed = crashedFiles(first.report, first.output)
  // A crashed file's cases are counted from its re-run alone, never twice.
  tallyReport(first.report, 'vitest', crashed)
  // Each crashed worker is one unhandled error; any beyond those is an error of the tests' own.
  let unexplained = first.code !== 0 && first.unhandledErrors !== crashed.length
  if (crashed.length > 0) {
    // Its test cases never reported: run the file once more, alone, and count what that run says.
    const names = crashed.map((file) => file.replace(`${root}/`, ''))
    process.stdout.write(`\n=== vitest: re-running ${names.join(', ')} (its test worker crashed) ===\n`)
    outcomes.push(`note ${names.join(', ')}: the test worker crashed without a failing test; re-ran once`)
    const rerun = await runVitest(crashed)
    if (rerun.report === undefined) {
      record('vitest re-run', 'failed', ` (exit code ${rerun.code}, no report written)`)
      return
    }
    tallyReport(rerun.report, 'vitest re-run')
    for (const file of crashedFiles(rerun.report, rerun.output)) {
      record(`vitest file ${file.replace(`${root}/`, '')}`, 'failed', ' (its test worker crashed twice)')
    }
    unexplained ||= rerun.code !== 0 && rerun.unhandledErrors > 0
  }
  // Unhandled errors fail the run without failing any test case.
  if (unexplained && tally.failed === 0) record('vitest', 'failed', ` (exit code ${first.code})`)
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
