/**
 * The producer's batch path without the network: append 100 B records to a {@link RecordBatchBuilder} as the
 * accumulator does, seal and stamp it (CRC included). `node bench/micro/batch-encode.ts`.
 */

import { type EncodableRecord, RecordBatchBuilder } from '../../src/protocol/records/batch-builder.ts'
import { measure } from './measure.ts'

const RECORDS = 2000
const value = Buffer.alloc(100, 'v')
const now = Date.now()
const records: EncodableRecord[] = Array.from({ length: RECORDS }, (_, i) => ({
  timestamp: now + (i >> 4),
  key: null,
  value,
  headers: null,
}))
const keyed: EncodableRecord[] = records.map((record, i) => ({
  ...record,
  key: Buffer.from(`key-${i}`),
  headers: [{ key: Buffer.from('trace'), value: Buffer.from('abc') }],
}))

function build(input: readonly EncodableRecord[]): Buffer {
  const builder = new RecordBatchBuilder(262_144)
  for (let i = 0; i < input.length; i++) builder.append(input[i]!)
  builder.seal(0)
  const bytes = builder.stamp({ producerId: 1000n, producerEpoch: 0, baseSequence: 0 })
  builder.release()
  return bytes
}

await measure('batch encode, 100 B values', () => build(records), { unitsPerCall: RECORDS, unit: 'records' })
await measure('batch encode, keys + 1 header', () => build(keyed), { unitsPerCall: RECORDS, unit: 'records' })
