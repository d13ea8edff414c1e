/** How a send's or a sendBatch's records hear the outcome of the batches they ended up in. */

import { describe, expect, it } from 'vitest'
import { BatchDelivery, SingleDelivery } from '../../../src/producer/delivery.ts'

describe('BatchDelivery', () => {
  it("resolves once every record is written, in the caller's order, whatever order the batches ack in", async () => {
    const delivery = new BatchDelivery(6)
    let settled = false
    void delivery.promise.then(() => {
      settled = true
    })
    // Records 0, 2, 3 went to partition 1; 1, 4, 5 to partition 0, whose batch was acknowledged in between.
    delivery.delivered(2, 't', 1, 41n, 7)
    delivery.delivered(3, 't', 1, 42n, 7)
    delivery.delivered(1, 't', 0, 10n, 5)
    await Promise.resolve()
    expect(settled).toBe(false)
    delivery.delivered(4, 't', 0, 11n, 5)
    delivery.delivered(5, 't', 0, 12n, 5)
    delivery.delivered(0, 't', 1, 40n, 7)
    await expect(delivery.promise).resolves.toEqual([
      { topic: 't', partition: 1, offset: 40n, timestamp: 7 },
      { topic: 't', partition: 0, offset: 10n, timestamp: 5 },
      { topic: 't', partition: 1, offset: 41n, timestamp: 7 },
      { topic: 't', partition: 1, offset: 42n, timestamp: 7 },
      { topic: 't', partition: 0, offset: 11n, timestamp: 5 },
      { topic: 't', partition: 0, offset: 12n, timestamp: 5 },
    ])
  })

  it('passes on -1 offsets for records written without acknowledgement (acks=0)', async () => {
    const delivery = new BatchDelivery(2)
    delivery.delivered(0, 't', 3, -1n, 9)
    delivery.delivered(1, 't', 3, -1n, 9)
    await expect(delivery.promise).resolves.toEqual([
      { topic: 't', partition: 3, offset: -1n, timestamp: 9 },
      { topic: 't', partition: 3, offset: -1n, timestamp: 9 },
    ])
  })

  it('rejects with the first failure; later outcomes change nothing', async () => {
    const delivery = new BatchDelivery(3)
    delivery.delivered(0, 't', 0, 1n, 0)
    delivery.failed(1, new Error('first'))
    delivery.failed(2, new Error('second'))
    delivery.delivered(2, 't', 0, 2n, 0)
    await expect(delivery.promise).rejects.toThrow('first')
  })

  it('resolves at once with nothing for an empty call', async () => {
    await expect(new BatchDelivery(0).promise).resolves.toEqual([])
  })
})

describe('SingleDelivery', () => {
  it('resolves with the one record written', async () => {
    const delivery = new SingleDelivery()
    delivery.delivered(0, 't', 2, 77n, 3)
    await expect(delivery.promise).resolves.toEqual({ topic: 't', partition: 2, offset: 77n, timestamp: 3 })
  })
})
