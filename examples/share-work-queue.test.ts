import { expect, it } from 'vitest'
import { bootstrapAddress } from './example-support.ts'
import { main } from './share-work-queue.ts'

it('five share consumers on two partitions: every job done exactly once, by more workers than partitions', async () => {
  const report = await main({ bootstrap: bootstrapAddress(), jobs: 100, workers: 5 })
  const all = report.done.flat()
  expect(all.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `job-${i}`).sort())
  expect(new Set(all).size).toBe(100)
  // The point of a share group: more workers busy than there are partitions.
  expect(report.done.filter((jobs) => jobs.length > 0).length).toBeGreaterThan(report.partitions)
}, 120_000)
