import { expect, it } from 'vitest'
import { bootstrapAddress, uniqueName } from './example-support.ts'
import { main } from './karafka-manual-marking.ts'

const bootstrap = bootstrapAddress()

it('marks after each flush, flushes the rest on shutdown, and restarts after the last manual mark', async () => {
  const report = await main({
    bootstrap,
    topic: uniqueName('karafka-events'),
    groupId: uniqueName('karafka'),
  })

  // Every event reached the store exactly once: two full flushes, the remainder from the shutdown hook.
  expect(report.stored).toEqual(Array.from({ length: 25 }, (_, i) => `event-${i}`))
  expect(report.flushes).toEqual([10, 10, 5])
  // The shutdown hook marked the last flushed message, so the whole topic is committed.
  expect(report.committedAfterBuffering).toBe(25n)
  // The batch failed at event-15 after manual marks at offsets 0 and 10: a restart begins at 11, not 0 and
  // not past the failure.
  expect(report.committedAfterFailedBatch).toBe(11n)
}, 120_000)
