import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { murmur2, toPositive } from '../../../src/producer/partitioners/murmur2.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'
import { encodeRecordBatch, type RecordInput } from '../../../src/protocol/records/batch-encoder.ts'
import {
  compileJavaFixtures,
  javaFixturesAvailable,
  runJavaFixtures,
} from '../../../tools/java-fixtures/java-fixtures.ts'
import { type JavaBatchView, parseJsonLines, toJavaView } from '../../../tools/java-fixtures/java-view.ts'

// Both directions against the official Java client (kafka-clients 4.3.1), compiled and run live.
describe.skipIf(!javaFixturesAvailable())('record batch interop with the Java client', () => {
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-records-'))
    compileJavaFixtures()
  }, 120_000)

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('decodes what MemoryRecordsBuilder writes exactly as the Java client reads it', async () => {
    runJavaFixtures(['write', dir])
    for (const name of [
      'none',
      'gzip',
      'log-append-time',
      'transactional',
      'control-commit',
      'control-abort',
      'log-slice',
    ]) {
      const expected = parseJsonLines<JavaBatchView>(readFileSync(join(dir, `${name}.jsonl`), 'utf8'))
      const { batches, incomplete } = await decodeRecordBatches(readFileSync(join(dir, `${name}.bin`)))
      expect(incomplete).toBeNull()
      expect({ name, batches: batches.map(toJavaView) }).toEqual({ name, batches: expected })
    }
  }, 60_000)

  it('writes batches the Java client validates (CRC included) and reads back record for record', async () => {
    const T0 = BigInt(Date.now())
    const records: RecordInput[] = Array.from({ length: 50 }, (_, i) => ({
      key: i % 7 === 0 ? null : Buffer.from(`key-${i}-ключ`),
      value: i % 11 === 0 ? null : Buffer.from(`value ${i} `.repeat(i)),
      timestamp: T0 + BigInt(i * 37 - 500),
      headers:
        i % 3 === 0
          ? [
              { key: 'h', value: Buffer.from([i, 0, 255]) },
              { key: 'ünï', value: null },
              { key: 'h', value: Buffer.alloc(0) },
            ]
          : [],
    }))
    const batches = [
      await encodeRecordBatch({ records, compression: 'none', baseOffset: 0n }),
      await encodeRecordBatch({ records, compression: 'gzip', baseOffset: 50n, partitionLeaderEpoch: 9 }),
      await encodeRecordBatch({
        records: records.slice(0, 5),
        compression: 'none',
        baseOffset: 100n,
        producerId: 123_456_789_012n,
        producerEpoch: 2,
        baseSequence: 40,
        transactional: true,
      }),
      await encodeRecordBatch({
        records: records.slice(5, 9),
        compression: 'gzip',
        baseOffset: 105n,
        timestampType: 'log-append',
      }),
    ]
    const file = join(dir, 'from-samsa.bin')
    const bytes = Buffer.concat(batches)
    writeFileSync(file, bytes)

    const javaView = parseJsonLines<JavaBatchView>(runJavaFixtures(['read', file]))
    const samsaView = (await decodeRecordBatches(bytes)).batches.map(toJavaView)
    expect(javaView).toEqual(samsaView)

    // And what Java read is what was encoded, not merely what samsa decodes.
    expect(javaView.map((b) => b.recordCount)).toEqual([50, 50, 5, 4])
    const first = javaView[0]!.records
    expect(first.map((r) => r.offset)).toEqual(records.map((_, i) => String(i)))
    expect(first.map((r) => r.timestamp)).toEqual(records.map((r) => String(r.timestamp)))
    expect(first.map((r) => r.key)).toEqual(
      records.map((r) => (r.key === null ? null : r.key.toString('base64'))),
    )
    expect(first.map((r) => r.value)).toEqual(
      records.map((r) => (r.value === null ? null : r.value.toString('base64'))),
    )
    expect(first[3]!.headers).toEqual([
      { key: 'h', value: Buffer.from([3, 0, 255]).toString('base64') },
      { key: 'ünï', value: null },
      { key: 'h', value: '' },
    ])
    expect(javaView[2]).toMatchObject({
      producerId: '123456789012',
      producerEpoch: 2,
      baseSequence: 40,
      isTransactional: true,
    })
    expect(javaView[1]).toMatchObject({ compression: 'gzip', partitionLeaderEpoch: 9 })
    expect(javaView[3]).toMatchObject({ timestampType: 'log-append' })
  }, 60_000)

  it('hashes keys like Utils.murmur2', () => {
    let seed = 7
    const keys = Array.from({ length: 300 }, (_, i) => {
      const length = i % 40
      return Buffer.from(
        Array.from({ length }, () => {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
          return seed >>> 24
        }),
      )
    })
    keys.push(Buffer.from('Ünïcødé ключ 键 🔑'), Buffer.alloc(0))
    const java = parseJsonLines<{ keyHex: string; murmur2: number; toPositive: number }>(
      runJavaFixtures(['murmur2'], `${keys.map((k) => k.toString('hex')).join('\n')}\n`),
    )
    expect(java.map((v) => v.keyHex)).toEqual(keys.map((k) => k.toString('hex')))
    expect(keys.map((k) => murmur2(k))).toEqual(java.map((v) => v.murmur2))
    expect(keys.map((k) => toPositive(murmur2(k)))).toEqual(java.map((v) => v.toPositive))
  }, 60_000)
})
