/**
 * Fetch response decoding (the generated codec) for 6 partitions × 256 KiB of record data, and the records
 * inside it. `node bench/micro/fetch-decode.ts`.
 */

import {
  createFetchableTopicResponse,
  createFetchResponse,
  createPartitionData,
  Fetch,
} from '../../src/protocol/messages/fetch.ts'
import { Reader } from '../../src/protocol/primitives/reader.ts'
import { Writer } from '../../src/protocol/primitives/writer.ts'
import { decodeRecordBatches } from '../../src/protocol/records/batch-decoder.ts'
import { recordBatchesFixture } from './fixtures.ts'
import { measure } from './measure.ts'

const VERSION = 16
const PARTITIONS = 6
const RECORDS_PER_PARTITION = 2000
const records = recordBatchesFixture(RECORDS_PER_PARTITION, 500)
const response = createFetchResponse({
  responses: [
    createFetchableTopicResponse({
      topic: 'bench',
      topicId: '5f3e2c1a-0000-4000-8000-000000000001',
      partitions: Array.from({ length: PARTITIONS }, (_, partition) =>
        createPartitionData({ partitionIndex: partition, highWatermark: 1_000_000n, records }),
      ),
    }),
  ],
})
const writer = new Writer(PARTITIONS * records.length + 1024)
Fetch.encodeResponse(writer, VERSION, response)
const body = writer.toBuffer()

await measure(
  'Fetch v16 response decode (codec only)',
  () => Fetch.decodeResponse(new Reader(body), VERSION),
  {
    unitsPerCall: body.length,
    unit: 'B',
  },
)
await measure(
  'Fetch v16 response decode + record batches',
  async () => {
    const decoded = Fetch.decodeResponse(new Reader(body), VERSION)
    for (const topic of decoded.responses) {
      for (const partition of topic.partitions) await decodeRecordBatches(partition.records!)
    }
  },
  { unitsPerCall: PARTITIONS * RECORDS_PER_PARTITION, unit: 'records' },
)
