/**
 * Produce request encoding (the generated codec plus the frame copy) for 6 partitions × one 256 KiB batch.
 * `node bench/micro/produce-encode.ts`.
 */

import {
  createPartitionProduceData,
  createProduceRequest,
  createTopicProduceData,
  Produce,
} from '../../src/protocol/messages/produce.ts'
import { Writer } from '../../src/protocol/primitives/writer.ts'
import { recordBatchesFixture } from './fixtures.ts'
import { measure } from './measure.ts'

const VERSION = 12
const PARTITIONS = 6
const batch = recordBatchesFixture(2300, 2300)
const request = createProduceRequest({
  acks: -1,
  timeoutMs: 30_000,
  topicData: [
    createTopicProduceData({
      name: 'bench',
      partitionData: Array.from({ length: PARTITIONS }, (_, index) =>
        createPartitionProduceData({ index, records: batch }),
      ),
    }),
  ],
})

await measure(
  'Produce v12 request encode',
  () => {
    const writer = new Writer(PARTITIONS * batch.length + 256)
    Produce.encodeRequest(writer, VERSION, request)
    return writer.toBuffer()
  },
  { unitsPerCall: PARTITIONS * batch.length, unit: 'B' },
)
