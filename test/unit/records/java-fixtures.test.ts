import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'
import { type JavaBatchView, parseJsonLines, toJavaView } from '../../../tools/java-fixtures/java-view.ts'

// Batches written by the Java client, with what the Java client reads back from them (README.md there).
const fixtures = [
  'none',
  'gzip',
  'log-append-time',
  'transactional',
  'control-commit',
  'control-abort',
  'log-slice',
]

function fixture(name: string): { bytes: Buffer; expected: JavaBatchView[] } {
  const dir = new URL('../../fixtures/records/', import.meta.url)
  return {
    bytes: readFileSync(new URL(`${name}.bin`, dir)),
    expected: parseJsonLines<JavaBatchView>(readFileSync(new URL(`${name}.jsonl`, dir), 'utf8')),
  }
}

describe('batches written by the Java client', () => {
  for (const name of fixtures) {
    it(`decodes ${name} to what the Java client reads`, async () => {
      const { bytes, expected } = fixture(name)
      const result = await decodeRecordBatches(bytes)
      expect(result.incomplete).toBeNull()
      expect(result.batches.map(toJavaView)).toEqual(expected)
    })
  }

  it('covers keys, null keys and values, repeated and unicode headers, and five records per batch', () => {
    const [batch] = fixture('none').expected
    expect(batch!.records).toHaveLength(5)
    expect(batch!.records.some((r) => r.key === null)).toBe(true)
    expect(batch!.records.some((r) => r.value === null)).toBe(true)
    const headers = batch!.records.flatMap((r) => r.headers)
    expect(headers.filter((h) => h.key === 'trace-id')).toHaveLength(2)
    expect(headers.some((h) => h.value === null)).toBe(true)
    expect(headers.some((h) => h.key === 'ünïcødé-κλειδί')).toBe(true)
  })

  it('exposes the transaction marker of a control batch and hands out no records', async () => {
    const commit = (await decodeRecordBatches(fixture('control-commit').bytes)).batches[0]!
    expect(commit.isControl).toBe(true)
    expect(commit.recordCount).toBe(1)
    expect(commit.records).toEqual([])
    expect(commit.control).toEqual({ type: 'commit', typeId: 1, coordinatorEpoch: 21 })
    const abort = (await decodeRecordBatches(fixture('control-abort').bytes)).batches[0]!
    expect(abort.control).toEqual({ type: 'abort', typeId: 0, coordinatorEpoch: 22 })
  })

  it('gives log-append-time records the broker time (maxTimestamp), not their own', async () => {
    const batch = (await decodeRecordBatches(fixture('log-append-time').bytes)).batches[0]!
    expect(batch.timestampType).toBe('log-append')
    expect(batch.records.map((r) => r.timestamp)).toEqual([1_700_000_000_099n, 1_700_000_000_099n])
  })
})
