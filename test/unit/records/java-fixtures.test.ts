import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'
import { encodeRecordBatch, type RecordInput } from '../../../src/protocol/records/batch-encoder.ts'
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

/** The records of a Java fixture batch, as the input the Java client was given. */
function inputsOf(batch: JavaBatchView): RecordInput[] {
  const bytes = (base64: string | null): Buffer | null =>
    base64 === null ? null : Buffer.from(base64, 'base64')
  return batch.records.map((record) => ({
    key: bytes(record.key),
    value: bytes(record.value),
    timestamp: BigInt(record.timestamp),
    headers: record.headers.map((header) => ({ key: header.key, value: bytes(header.value) })),
  }))
}

describe("the producer's encoder, against the Java client's bytes", () => {
  // Uncompressed create-time batches carry no codec output, so the encoding is fully determined: byte for byte.
  for (const name of ['none', 'transactional']) {
    it(`writes ${name} exactly as the Java client does`, async () => {
      const { bytes, expected } = fixture(name)
      const batch = expected[0]!
      const encoded = await encodeRecordBatch({
        records: inputsOf(batch),
        compression: 'none',
        baseOffset: BigInt(batch.baseOffset),
        partitionLeaderEpoch: batch.partitionLeaderEpoch,
        producerId: BigInt(batch.producerId),
        producerEpoch: batch.producerEpoch,
        baseSequence: batch.baseSequence,
        transactional: batch.isTransactional,
      })
      expect(encoded.toString('hex')).toBe(bytes.toString('hex'))
    })
  }

  it('writes a gzip batch that reads back as the Java gzip batch does, CRC aside', async () => {
    const { expected } = fixture('gzip')
    const batch = expected[0]!
    const encoded = await encodeRecordBatch({
      records: inputsOf(batch),
      compression: 'gzip',
      baseOffset: BigInt(batch.baseOffset),
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
    })
    const [view] = (await decodeRecordBatches(encoded)).batches.map(toJavaView)
    // The compressed bytes (and so size and CRC) depend on the gzip implementation; everything else must match.
    expect({ ...view!, crc: 0, sizeInBytes: 0 }).toEqual({ ...batch, crc: 0, sizeInBytes: 0 })
  })
})
