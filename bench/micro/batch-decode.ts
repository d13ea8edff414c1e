/**
 * The consumer's record path without the network: decode the record batches of a fetch (2,000 × 100 B
 * records in batches of 500) and turn every record into the message the application receives, as
 * CompletedFetch does. `node bench/micro/batch-decode.ts`.
 */

import { decodeRecordBatches } from '../../src/protocol/records/batch-decoder.ts'
import { recordBatchesFixture } from './fixtures.ts'
import { measure } from './measure.ts'

const RECORDS = 2000
const bytes = recordBatchesFixture(RECORDS, 500)

await measure(
  'decodeRecordBatches',
  async () => {
    const { batches } = await decodeRecordBatches(bytes)
    if (batches.length !== RECORDS / 500) throw new Error('lost a batch')
  },
  { unitsPerCall: RECORDS, unit: 'records' },
)

let touched = 0
await measure(
  'decodeRecordBatches + read every field',
  async () => {
    const { batches } = await decodeRecordBatches(bytes)
    for (const batch of batches) {
      for (const record of batch.records) {
        touched += record.value!.length + (record.key === null ? 0 : 1) + record.headers.length
        if (record.offset < 0n || record.timestamp < 0n) throw new Error('bad record')
      }
    }
  },
  { unitsPerCall: RECORDS, unit: 'records' },
)
if (touched === 0) throw new Error('nothing read')
