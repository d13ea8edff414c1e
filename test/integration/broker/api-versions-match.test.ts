/**
 * The in-process broker advertises the same version range as Apache Kafka 4.3.1 (the JVM broker of the
 * integration run) for every API it serves, so a client, the Java 4.3 client included, negotiates the same
 * versions with either and exercises the same request shapes. The deliberate differences are listed with
 * their reasons; the test fails on any other, and when a listed one goes away.
 */

import { afterAll, beforeAll, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import type { VersionRange } from '../../../src/network/broker-versions.ts'
import { apiByKey } from '../../../src/protocol/messages/index.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { startTestBroker, type TestBroker } from '../../../src/testing/test-broker.ts'

/** Differences by API name: the in-process range, and why it differs from Kafka's. */
const DOCUMENTED: Readonly<Record<string, { range: string; why: string }>> = {
  AddPartitionsToTxn: { range: 'v0-3', why: 'v4+ is sent by brokers only (transaction verification)' },
  Produce: {
    range: 'v3-13',
    why: 'Kafka 4 still advertises the removed v0-2 (for old librdkafka clients, KAFKA-18659) but refuses them',
  },
}

/** The client APIs issue 15 names, which the in-process broker must serve. */
const REQUIRED = [
  'ApiVersions',
  'Metadata',
  'CreateTopics',
  'DeleteTopics',
  'CreatePartitions',
  'DescribeConfigs',
  'Produce',
  'Fetch',
  'ListOffsets',
  'OffsetForLeaderEpoch',
  'DeleteRecords',
  'FindCoordinator',
  'JoinGroup',
  'SyncGroup',
  'Heartbeat',
  'LeaveGroup',
  'ConsumerGroupHeartbeat',
  'OffsetCommit',
  'OffsetFetch',
  'ListGroups',
  'DescribeGroups',
  'InitProducerId',
  'AddOffsetsToTxn',
  'TxnOffsetCommit',
  'EndTxn',
]

let broker: TestBroker
let real: Cluster
let ours: Cluster

beforeAll(async () => {
  broker = await startTestBroker()
  real = Cluster.create({ bootstrap: kafkaBootstrap(), clientId: 'api-versions-match' })
  ours = Cluster.create({ bootstrap: broker.bootstrap, clientId: 'api-versions-match' })
})

afterAll(async () => {
  await Promise.all([real.close(), ours.close()])
  await broker.close()
})

const text = (range: VersionRange | undefined) =>
  range === undefined ? 'absent' : `v${range.minVersion}-${range.maxVersion}`

it('every API the in-process broker serves has the version range the JVM broker advertises, but for the documented ones', async () => {
  const kafka = new Map((await real.anyConnection()).versions.entries())
  const inProcess = new Map((await ours.anyConnection()).versions.entries())
  const differences: Record<string, { range: string; kafka: string }> = {}
  for (const [key, range] of inProcess) {
    if (text(range) !== text(kafka.get(key))) {
      differences[name(key)] = { range: text(range), kafka: text(kafka.get(key)) }
    }
  }
  expect(differences).toEqual(
    Object.fromEntries(
      Object.entries(DOCUMENTED).map(([api, { range }]) => [
        api,
        { range, kafka: text(kafka.get(keyOf(api))) },
      ]),
    ),
  )
  const served = new Set([...inProcess.keys()].map(name))
  expect(REQUIRED.filter((api) => !served.has(api))).toEqual([])
  // For the record: what Kafka serves that the in-process broker does not (see docs/testing.md).
  console.info(
    `served by Kafka 4.3.1 only: ${[...kafka.keys()]
      .filter((key) => !inProcess.has(key))
      .map(name)
      .join(', ')}`,
  )
})

function name(key: number): string {
  return apiByKey.get(key)?.name ?? `API ${key}`
}

function keyOf(api: string): number {
  const found = [...apiByKey.values()].find((definition) => definition.name === api)
  if (found === undefined) throw new Error(`no API named ${api}`)
  return found.apiKey
}
