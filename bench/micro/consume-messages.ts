/**
 * The consumer's per-record path after decoding: CompletedFetch filtering and building the messages that
 * poll() returns, through the FetchCollector, for 2,000 × 100 B records in batches of 500.
 * `node bench/micro/consume-messages.ts`.
 */

import { CompletedFetch } from '../../src/consumer/completed-fetch.ts'
import { FetchBuffer } from '../../src/consumer/fetch-buffer.ts'
import { FetchCollector } from '../../src/consumer/fetch-collector.ts'
import { PartitionOffsets } from '../../src/consumer/offsets/partition-offsets.ts'
import { PartitionState } from '../../src/consumer/subscription-state.ts'
import { decodeRecordBatches } from '../../src/protocol/records/batch-decoder.ts'
import { recordBatchesFixture } from './fixtures.ts'
import { measure } from './measure.ts'

const RECORDS = 2000
const bytes = recordBatchesFixture(RECORDS, 500)
const state = new PartitionState(new PartitionOffsets('bench', 0))
state.state = 'fetching'

let sum = 0
await measure(
  'decode + CompletedFetch + collect(500)',
  async () => {
    const { batches } = await decodeRecordBatches(bytes)
    state.offsets.seek({ offset: 0n, leaderEpoch: undefined })
    const buffer = new FetchBuffer<CompletedFetch>()
    buffer.add(
      new CompletedFetch({
        state,
        generation: state.generation,
        fetchOffset: 0n,
        batches,
        readCommitted: false,
        sizeBytes: bytes.length,
      }),
    )
    const collector = new FetchCollector(buffer)
    let taken = 0
    for (;;) {
      const messages = collector.collect(500)
      if (messages.length === 0) break
      for (const message of messages) sum += message.value!.length
      taken += messages.length
    }
    if (taken !== RECORDS) throw new Error(`collected ${taken} of ${RECORDS}`)
  },
  { unitsPerCall: RECORDS, unit: 'records' },
)
if (sum === 0) throw new Error('nothing read')
