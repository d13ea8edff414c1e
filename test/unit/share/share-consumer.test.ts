import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ConfigError, IllegalStateError, WakeupError } from '../../../src/common/errors.ts'
import { ShareConsumer } from '../../../src/consumer/share/share-consumer.ts'

// No broker: nothing below needs one (an unsubscribed consumer never connects).
const consumers: ShareConsumer[] = []
function consumer(): ShareConsumer {
  const cluster = Cluster.create({ bootstrap: '127.0.0.1:1', clientId: 'unit', logger: false })
  const created = new ShareConsumer(cluster, { groupId: 'g' })
  consumers.push(created)
  return created
}
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.close()))
})

describe('ShareConsumer without a broker', () => {
  it('wakeup() ends a waiting poll with WakeupError, and an aborted signal does too', async () => {
    const c = consumer()
    const waiting = c.poll({ timeoutMs: 60_000 })
    c.wakeup()
    await expect(waiting).rejects.toBeInstanceOf(WakeupError)
    const controller = new AbortController()
    const second = c.poll({ timeoutMs: 60_000, signal: controller.signal })
    controller.abort()
    await expect(second).rejects.toBeInstanceOf(WakeupError)
    // The wakeup was consumed: the next poll just times out.
    expect(await c.poll({ timeoutMs: 10 })).toEqual([])
  })

  it('close() ends a waiting poll with no records, and the closed consumer refuses further calls', async () => {
    const c = consumer()
    const waiting = c.poll({ timeoutMs: 60_000 })
    await c.close()
    expect(await waiting).toEqual([])
    await expect(c.poll()).rejects.toBeInstanceOf(IllegalStateError)
    expect(() => c.subscribe(['t'])).toThrow(IllegalStateError)
  })

  it('validates subscribe() and poll() arguments', async () => {
    const c = consumer()
    expect(() => c.subscribe([])).toThrow(ConfigError)
    expect(() => c.subscribe(['bad topic'])).toThrow(ConfigError)
    await expect(c.poll({ timeoutMs: -1 })).rejects.toBeInstanceOf(ConfigError)
  })
})
