import { describe, expect, it } from 'vitest'
import {
  consoleConsumer,
  consumerGroupDescribe,
  createTopicWithJava,
  getOffsetShell,
  producerPerformance,
  runJavaTool,
} from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'

const bootstrap = kafkaBootstrap()

describe('Java tool wrappers against the test cluster', () => {
  it('produces with ProducerPerformance and counts the records with GetOffsetShell', async () => {
    const topic = uniqueName('rig-perf')
    await createTopicWithJava({ bootstrap, topic, partitions: 3 })
    const summary = await producerPerformance({
      bootstrap,
      topic,
      numRecords: 300,
      recordSize: 64,
      producerProps: { acks: 'all', 'linger.ms': 5 },
    })
    expect(summary.records).toBe(300)
    expect(summary.recordsPerSec).toBeGreaterThan(0)
    expect(summary.p99Ms).toBeGreaterThanOrEqual(summary.p50Ms)

    const endOffsets = await getOffsetShell({ bootstrap, topic })
    expect([...endOffsets.keys()].sort()).toEqual([0, 1, 2])
    expect([...endOffsets.values()].reduce((sum, offset) => sum + offset, 0n)).toBe(300n)
    const earliest = await getOffsetShell({ bootstrap, topic, time: -2 })
    expect([...earliest.values()]).toEqual([0n, 0n, 0n])
  })

  it('reads keys, values, headers and positions with the console consumer, and the group lag after', async () => {
    const topic = uniqueName('rig-console')
    const group = uniqueName('rig-group')
    await createTopicWithJava({ bootstrap, topic, partitions: 1 })
    // Values with separators the consumer's default formatter would confuse: tabs, pipes, commas, colons.
    const produced = await runJavaTool(
      'org.apache.kafka.tools.ConsoleProducer',
      [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        topic,
        '--reader-property',
        'parse.key=true',
        '--reader-property',
        'parse.headers=true',
      ],
      { input: 'trace:abc,hop:1\tk1\tvalue|one, with: punctuation\ntrace:def\tk2\tsecond\n' },
    )
    expect(produced.code, produced.stderr).toBe(0)

    const records = await consoleConsumer({ bootstrap, topic, maxMessages: 2, group })
    expect(records).toHaveLength(2)
    expect(records[0]).toMatchObject({
      partition: 0,
      offset: 0n,
      key: 'k1',
      value: 'value|one, with: punctuation',
      headers: [
        { key: 'trace', value: 'abc' },
        { key: 'hop', value: '1' },
      ],
      timestampType: 'CreateTime',
    })
    expect(records[1]).toMatchObject({ partition: 0, offset: 1n, key: 'k2', value: 'second' })
    expect(records[1]!.timestamp).toBeGreaterThan(0n)

    const rows = await consumerGroupDescribe({ bootstrap, group })
    expect(rows).toEqual([
      expect.objectContaining({ topic, partition: 0, currentOffset: 2n, logEndOffset: 2n, lag: 0n }),
    ])
  })

  it('returns what arrived when the topic goes idle before maxMessages', async () => {
    const topic = uniqueName('rig-idle')
    await createTopicWithJava({ bootstrap, topic, partitions: 1 })
    const records = await consoleConsumer({ bootstrap, topic, maxMessages: 5, idleTimeoutMs: 2000 })
    expect(records).toEqual([])
  })

  it('reports a failing tool with its exit code and error output', async () => {
    const topic = uniqueName('rig-dup')
    await createTopicWithJava({ bootstrap, topic, partitions: 1 })
    await expect(createTopicWithJava({ bootstrap, topic, partitions: 1 })).rejects.toThrow(/already exists/)
  })
})
