/** Byte fixtures shared by the micro-benchmarks, built with samsa's own encoder. */

import { type EncodableRecord, RecordBatchBuilder } from '../../src/protocol/records/batch-builder.ts'

/** `records` 100 B records in batches of `perBatch`, with consecutive base offsets, as a fetch returns them. */
export function recordBatchesFixture(records: number, perBatch: number, valueBytes = 100): Buffer {
  const value = Buffer.alloc(valueBytes, 'v')
  const now = Date.now()
  const batches: Buffer[] = []
  for (let base = 0; base < records; base += perBatch) {
    const builder = new RecordBatchBuilder(1 << 24)
    const count = Math.min(perBatch, records - base)
    for (let i = 0; i < count; i++) {
      const record: EncodableRecord = { timestamp: now + i, key: null, value, headers: null }
      builder.append(record)
    }
    builder.seal(0)
    const bytes = Buffer.from(builder.stamp({ producerId: 1000n, producerEpoch: 0, baseSequence: base }))
    bytes.writeBigInt64BE(BigInt(base), 0)
    batches.push(bytes)
  }
  return Buffer.concat(batches)
}
