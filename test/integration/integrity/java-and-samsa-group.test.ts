import { afterEach, describe, expect, it } from 'vitest'
import type { Consumer } from '../../../src/consumer/consumer.ts'
import { Kafka } from '../../../src/kafka.ts'
import { consumerGroupDescribe, createTopicWithJava } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import {
  duplicates,
  type JavaGroupMember,
  missing,
  produceKeyed,
  type RecordId,
  recordId,
  sleep,
  startJavaGroupMember,
  waitUntil,
} from './integrity-kit.ts'

const PARTITIONS = 6
const RECORDS = 20_000

describe('a samsa consumer and a Java consumer in one classic group', () => {
  let java: JavaGroupMember | undefined
  let samsa: Consumer | undefined
  afterEach(async () => {
    await java?.stop()
    await samsa?.close()
    java = samsa = undefined
  })

  it('split the partitions and together see every record exactly once when nothing fails', async () => {
    const bootstrap = kafkaBootstrap()
    const topic = uniqueName('integrity-java-samsa')
    const group = uniqueName('g-integrity-java-samsa')
    await createTopicWithJava({ bootstrap, topic, partitions: PARTITIONS })

    java = await startJavaGroupMember(bootstrap, topic, group, {
      'group.protocol': 'classic',
      'auto.offset.reset': 'earliest',
      'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 1000,
    })
    const consumer = new Kafka({ bootstrap }).consumer({
      groupId: group,
      groupProtocol: 'classic',
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    })
    samsa = consumer
    const samsaSeen: RecordId[] = []
    let revocations = 0
    consumer.subscribe([topic], { onPartitionsRevoked: () => void revocations++ })
    let polling = true
    const loop = (async () => {
      while (polling) {
        const messages = await consumer.poll({ timeoutMs: 200 })
        for (const m of messages) samsaSeen.push(recordId(m.partition, m.offset))
        // At-least-once: commit only what this loop has finished with.
        if (messages.length > 0) await consumer.commit()
      }
    })()

    // Produce only once the split has settled, so no rebalance can legitimately hand a record out twice.
    // Settled means: every partition has an owner, the two members own them all, and samsa's own view of
    // its assignment matches what the coordinator reports, twice in a row.
    let agreements = 0
    await waitUntil(
      'the group to settle with both members owning partitions',
      async () => {
        const rows = await consumerGroupDescribe({ bootstrap, group }).catch(() => [])
        const owners = new Set(rows.map((row) => row.consumerId))
        const samsaId = consumer.groupMetadata().memberId
        const samsaRows = rows
          .filter((row) => row.consumerId === samsaId)
          .map((row) => row.partition)
          .sort()
        const samsaOwned = consumer
          .assignment()
          .map((tp) => tp.partition)
          .sort()
        const settled =
          rows.length === PARTITIONS &&
          !owners.has(null) &&
          owners.size === 2 &&
          samsaOwned.length > 0 &&
          samsaOwned.length < PARTITIONS &&
          samsaRows.join() === samsaOwned.join()
        agreements = settled ? agreements + 1 : 0
        return agreements >= 2
      },
      90_000,
      1000,
    )
    const revocationsBeforeProducing = revocations

    const produced = await produceKeyed(bootstrap, topic, RECORDS)
    const javaSeen = java.seen
    await waitUntil(
      'every record to be consumed by one of the two members',
      () => missing(produced, samsaSeen, javaSeen).length === 0,
      120_000,
    )
    // A short grace period for a late duplicate to show up before counting.
    await sleep(2000)
    polling = false
    await loop

    expect(missing(produced, samsaSeen, javaSeen)).toEqual([])
    expect([...duplicates(samsaSeen, javaSeen)]).toEqual([])
    expect(samsaSeen.length + javaSeen.length).toBe(RECORDS)
    expect(samsaSeen.length).toBeGreaterThan(0)
    expect(javaSeen.length).toBeGreaterThan(0)
    // Nothing the test did moved partitions once records existed.
    expect(revocations).toBe(revocationsBeforeProducing)
    // The samsa member committed everything it processed: its partitions have no lag.
    const rows = await consumerGroupDescribe({ bootstrap, group })
    const samsaId = consumer.groupMetadata().memberId
    const samsaRows = rows.filter((row) => row.consumerId === samsaId)
    expect(samsaRows.length).toBeGreaterThan(0)
    for (const row of samsaRows) expect(row.lag).toBe(0n)
  }, 240_000)
})
