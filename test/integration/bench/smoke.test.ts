/**
 * A seconds-long run of the benchmark harness, so it cannot rot: samsa and one peer, tiny counts, one run.
 * It checks the shape of what the harness writes and that measured rows have positive throughput; it sets
 * no performance threshold.
 */

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { ResultRow } from '../../../bench/lib/results.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

const runScript = fileURLToPath(new URL('../../../bench/run.ts', import.meta.url))
const outDir = mkdtempSync(join(tmpdir(), 'samsa-bench-smoke-'))

afterAll(() => rmSync(outDir, { recursive: true, force: true }))

function runBench(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runScript, ...args], {
      env: { ...process.env, KAFKA_BOOTSTRAP: kafkaBootstrap() },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

const rowKeys = [
  'case',
  'client',
  'version',
  'messages',
  'bytes',
  'msgsPerSec',
  'mbPerSec',
  'p50Ms',
  'p99Ms',
  'peakRssMb',
  'runs',
]

describe('npm run bench (smoke)', () => {
  it('writes rows of the documented shape with positive throughput for samsa and kafkajs', async () => {
    const cases = ['produce-100B', 'consume-100B', 'latency-10k', 'rebalance-eager']
    const { code, stderr } = await runBench([
      '--messages',
      '3000',
      '--rate',
      '2000',
      '--latency-seconds',
      '1',
      '--rebalance-window-ms',
      '6000',
      '--runs',
      '1',
      '--clients',
      'samsa,kafkajs',
      '--cases',
      cases.join(','),
      '--no-setup',
      '--out',
      outDir,
    ])
    expect(code, stderr).toBe(0)

    const rows = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as ResultRow[]
    expect(rows.map((row) => `${row.case}/${row.client}`)).toEqual(
      cases.flatMap((name) => [`${name}/samsa`, `${name}/kafkajs`]),
    )
    for (const row of rows) {
      for (const key of rowKeys) expect(row, `${row.case}/${row.client} has ${key}`).toHaveProperty(key)
    }
    const throughputRows = rows.filter((row) => row.case !== 'rebalance-eager')
    for (const row of throughputRows) {
      expect(row.note, `${row.case}/${row.client}`).toBeNull()
      expect(row.runs).toBe(1)
      expect(row.messages).toBe(row.case === 'latency-10k' ? 2000 : 3000)
      expect(row.msgsPerSec).toBeGreaterThan(0)
      expect(row.mbPerSec).toBeGreaterThan(0)
      expect(row.peakRssMb).toBeGreaterThan(0)
      expect(typeof row.version).toBe('string')
    }
    for (const row of rows.filter((candidate) => candidate.case === 'latency-10k')) {
      expect(row.p50Ms).toBeGreaterThan(0)
      expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms as number)
    }
    // The rebalance case measures a pause (a rate does not apply), once the second member processed records.
    for (const row of rows.filter((candidate) => candidate.case === 'rebalance-eager')) {
      expect(row.pauseMs, row.note ?? '').toBeGreaterThan(0)
      expect(row.msgsPerSec).toBeNull()
    }
    expect(readFileSync(join(outDir, 'latest.svg'), 'utf8')).toMatch(
      /^<svg [^>]*>[\s\S]*produce-100B[\s\S]*<\/svg>\n$/,
    )
    expect(readFileSync(join(outDir, 'latest.md'), 'utf8')).toContain('| produce-100B | samsa |')
  }, 180_000)
})
