import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { DataLossError } from '../../../src/common/errors.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { Producer } from '../../../src/producer/producer.ts'
import { ErrorCode } from '../../../src/protocol/errors/error-codes.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/index.ts'

let broker: TestBroker
let cluster: Cluster

beforeAll(async () => {
  broker = await startTestBroker({ nodes: 2, topics: [{ topic: 'kit-a', partitions: 2 }] })
  cluster = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'test-broker-kit' })
})

afterAll(async () => {
  await cluster.close()
  await broker.close()
})

async function readAll(consumer: Consumer, count: number): Promise<{ offset: bigint; value: string }[]> {
  const seen: { offset: bigint; value: string }[] = []
  while (seen.length < count) {
    for (const m of await consumer.poll({ timeoutMs: 100 }))
      seen.push({ offset: m.offset, value: m.value!.toString() })
  }
  return seen
}

describe('startTestBroker', () => {
  it('serves a group whose committed offsets the test reads back, through an injected commit failure', async () => {
    const producer = new Producer(cluster, { lingerMs: 0 })
    await producer.sendBatch([0, 1, 2, 3].map((i) => ({ topic: 'kit-a', partition: i % 2, value: `v${i}` })))
    await producer.close()
    // The coordinator answers the first commit with a retriable error; samsa retries it.
    const fault = broker.inject({
      api: 'OffsetCommit',
      errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
      times: 1,
    })
    const consumer = new Consumer(cluster, {
      groupId: 'kit-group',
      groupProtocol: 'consumer',
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
    })
    consumer.subscribe(['kit-a'])
    await readAll(consumer, 4)
    await consumer.commit()
    await consumer.close()
    expect(fault.hits).toBe(1)
    expect(broker.committedOffsets('kit-group').map((c) => [c.partition, c.offset])).toEqual([
      [0, 2n],
      [1, 2n],
    ])
  })

  it('an idempotent producer whose Produce answer is cut off retries, and the record is stored once', async () => {
    broker.createTopic('kit-dup')
    const fault = broker.inject({ api: 'Produce', drop: 'response', times: 1 })
    const producer = new Producer(cluster, { lingerMs: 0, idempotent: true })
    const sent = await producer.send({ topic: 'kit-dup', value: 'once' })
    await producer.close()
    expect(fault.hits).toBe(1)
    expect(sent.offset).toBe(0n)
    expect(broker.partition('kit-dup', 0).logEndOffset).toBe(1n)
  })

  it('a producer follows a moved leader; a paused node holds requests until resumed', async () => {
    broker.createTopic('kit-move')
    const producer = new Producer(cluster, { lingerMs: 0 })
    await producer.send({ topic: 'kit-move', value: 'before' })
    const from = broker.partition('kit-move', 0).leader
    broker.moveLeader('kit-move', 0, 1 - from)
    await producer.send({ topic: 'kit-move', value: 'after' })
    expect(broker.partition('kit-move', 0)).toMatchObject({
      leader: 1 - from,
      leaderEpoch: 1,
      logEndOffset: 2n,
    })
    broker.pause(1 - from)
    let done = false
    const pending = producer.send({ topic: 'kit-move', value: 'paused' }).then(() => {
      done = true
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(done).toBe(false)
    broker.resume(1 - from)
    await pending
    await producer.close()
    expect(broker.partition('kit-move', 0).logEndOffset).toBe(3n)
  })

  it('a truncated log after an epoch bump is reported to a consumer that read past the cut (KIP-320)', async () => {
    broker.createTopic('kit-cut')
    const producer = new Producer(cluster, { lingerMs: 0 })
    for (let i = 0; i < 6; i++) await producer.send({ topic: 'kit-cut', value: `old-${i}` })
    const consumer = new Consumer(cluster, { autoOffsetReset: 'none' })
    consumer.assign([{ topic: 'kit-cut', partition: 0 }])
    consumer.seek({ topic: 'kit-cut', partition: 0, offset: 0n })
    expect((await readAll(consumer, 6)).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n])
    broker.bumpLeaderEpoch('kit-cut', 0, { truncateTo: 4n })
    for (let i = 0; i < 2; i++) await producer.send({ topic: 'kit-cut', value: `new-${i}` })
    await producer.close()
    let lost: unknown
    const after: { offset: bigint; value: string }[] = []
    while (after.length < 2) {
      try {
        for (const m of await consumer.poll({ timeoutMs: 100 }))
          after.push({ offset: m.offset, value: m.value!.toString() })
      } catch (error) {
        lost = error
      }
    }
    await consumer.close()
    expect(lost).toBeInstanceOf(DataLossError)
    expect((lost as DataLossError).resetOffset).toBe(4n)
    expect(after).toEqual([
      { offset: 4n, value: 'new-0' },
      { offset: 5n, value: 'new-1' },
    ])
  })

  it('advancing the clock expires a classic member that stopped heartbeating', async () => {
    broker.createTopic('kit-session')
    const member = new Consumer(cluster, {
      groupId: 'kit-session-group',
      groupProtocol: 'classic',
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 1000,
    })
    member.subscribe(['kit-session'])
    while (member.assignment().length === 0) await member.poll({ timeoutMs: 100 })
    broker.inject({ api: 'Heartbeat', drop: 'request' })
    broker.advanceClock(31_000)
    const group = broker.server.state.groups.classic('kit-session-group')!
    expect(group.isEmpty).toBe(true)
    broker.clearFaults()
    await member.close()
  })
})
