import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { currentSection, renderReadmeSection } from '../../../bench/lib/readme.ts'
import { type ResultRow, unmeasured } from '../../../bench/lib/results.ts'

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

function row(caseName: string, client: string, figures: Partial<ResultRow>): ResultRow {
  return { ...unmeasured(caseName, client, ''), note: null, runs: 3, version: '1', ...figures }
}

describe('README Performance section', () => {
  it('is the one generated from bench/results/latest.json (npm run bench:readme)', () => {
    const rows = JSON.parse(read('bench/results/latest.json')) as ResultRow[]
    expect(currentSection(read('README.md'))).toBe(renderReadmeSection(rows))
  })

  it('computes the targets from the run, including the ones samsa misses', () => {
    const section = renderReadmeSection([
      row('produce-100B', 'samsa', { msgsPerSec: 900, peakRssMb: 300 }),
      row('produce-100B', 'kcat', { msgsPerSec: 1000, peakRssMb: 20 }),
      row('produce-100B', 'kafkajs', { msgsPerSec: 200, peakRssMb: 250 }),
      row('consume-100B', 'samsa', { msgsPerSec: 1000 }),
      row('consume-commit-batch', 'samsa', { msgsPerSec: 960 }),
      row('consume-commit-batch', 'kcat', { note: 'kcat commits automatically or not at all' }),
    ])
    expect(section).toContain(
      '| produce 100 B: at or above the best peer | 900 vs kcat 1,000 (0.90×) | **no** |',
    )
    expect(section).toContain(
      '| commit after each batch: within 5% of no commits | 960 vs 1,000 msg/s (−4.0%) | yes |',
    )
    // Memory is compared with Node peers only: kafkajs, not kcat.
    expect(section).toContain(
      '| peak RSS, produce-100B: no worse than any Node peer | 300 MB vs kafkajs 250 MB | **no** |',
    )
    // The best figure of a case is bold, whoever has it.
    expect(section).toContain('| produce 100 B, msg/s | 900 | **1,000** | 200 |')
  })
})
