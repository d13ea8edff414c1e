/**
 * Where a per-message commit's time goes: one OffsetCommit at a time against the broker, three ways, in
 * rounds that alternate between them so a change in the machine's load hits all three alike.
 *
 *   wire        a bare socket: the request encoded by hand, written, the next one sent when the answer's last
 *               byte arrives. The floor any Node client stands on.
 *   connection  samsa's `Connection.request` (framing, correlation, request timeout, response decoding).
 *   consumer    `Consumer.commit()` of an assigned partition, awaited per call, as the per-message bench case.
 *
 *   node bench/micro/commit-round-trip.ts [commits per round] [rounds] [--busy-neighbour]
 *
 * `--busy-neighbour` runs a process that spins at the lowest priority for the whole measurement. It takes CPU
 * time only when nothing else wants it, and keeps a CPU from going idle: on a virtual machine a round trip
 * that wakes idle CPUs (client → broker network thread → request handler → group coordinator → back) is
 * slower than one that finds them awake, which is what a client that polls in a busy loop gets for itself.
 *
 * Unlike the other micro-benchmarks this reports commits per wall second: a round trip is mostly waiting.
 * Reads the broker from KAFKA_BOOTSTRAP (default 127.0.0.1:9092).
 */

import { spawn } from 'node:child_process'
import * as net from 'node:net'
import { setPriority } from 'node:os'
import { Admin } from '../../src/admin/admin.ts'
import { Cluster } from '../../src/cluster/cluster.ts'
import { Consumer } from '../../src/consumer/consumer.ts'
import { Connection } from '../../src/network/connection.ts'
import { encodeClientId, writeRequestHeader } from '../../src/network/headers.ts'
import type { BrokerEndpoint } from '../../src/network/socket-factory.ts'
import { requestHeaderVersion } from '../../src/protocol/api.ts'
import { errorForCode } from '../../src/protocol/errors/broker-error.ts'
import { OffsetCommit, type OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.ts'
import { Writer } from '../../src/protocol/primitives/writer.ts'
import { versionCaps } from '../../src/protocol/version-caps.ts'
import { kafkaBootstrap, uniqueName } from '../../src/testing/kafka-bootstrap.ts'
import { spread } from '../lib/stats.ts'

const ZERO_TOPIC_ID = '00000000-0000-0000-0000-000000000000'

/** The version the consumer sends: v10 names topics by id, which this script does not look up. */
const VERSION = versionCaps.offsetCommit

function commitRequest(groupId: string, topic: string, offset: bigint): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: topic,
        topicId: ZERO_TOPIC_ID,
        partitions: [
          { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' },
        ],
      },
    ],
  }
}

async function overWire(coordinator: BrokerEndpoint, groupId: string, topic: string, commits: number) {
  const socket = net.connect({ ...coordinator, noDelay: true })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const clientId = encodeClientId('micro-commit')
  let answered: (() => void) | undefined
  let pending: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0)
      // Error code of the only partition: the last 2 bytes before the partition's and two enclosing
      // tagged-field sections (flexible versions end each struct with one).
      const errorCode = pending.readInt16BE(4 + size - 5)
      if (errorCode !== 0) throw new Error(`OffsetCommit answered error code ${errorCode}`)
      pending = pending.subarray(4 + size)
      const resolve = answered
      answered = undefined
      resolve?.()
    }
  })
  const started = performance.now()
  for (let i = 0; i < commits; i++) {
    const writer = new Writer(128)
    const sizeAt = writer.reserveInt32()
    writeRequestHeader(
      writer,
      requestHeaderVersion(OffsetCommit, VERSION),
      OffsetCommit.apiKey,
      VERSION,
      i,
      clientId,
    )
    OffsetCommit.encodeRequest(writer, VERSION, commitRequest(groupId, topic, BigInt(i + 1)))
    writer.patchInt32(sizeAt, writer.length - 4)
    await new Promise<void>((resolve) => {
      answered = resolve
      socket.write(writer.view())
    })
  }
  const elapsed = performance.now() - started
  socket.destroy()
  return elapsed
}

async function overConnection(coordinator: BrokerEndpoint, groupId: string, topic: string, commits: number) {
  const connection = new Connection({ ...coordinator, clientId: 'micro-commit' })
  await connection.connect()
  const started = performance.now()
  for (let i = 0; i < commits; i++) {
    const response = await connection.request(OffsetCommit, commitRequest(groupId, topic, BigInt(i + 1)), {
      maxVersion: VERSION,
    })
    const errorCode = response.topics[0]?.partitions[0]?.errorCode
    if (errorCode !== 0) throw new Error(`OffsetCommit answered error code ${errorCode}`)
  }
  const elapsed = performance.now() - started
  await connection.close()
  return elapsed
}

async function overConsumer(bootstrap: string, groupId: string, topic: string, commits: number) {
  const cluster = Cluster.create({ bootstrap, clientId: 'micro-commit' })
  const consumer = new Consumer(cluster, { groupId, enableAutoCommit: false })
  consumer.assign([{ topic, partition: 0 }])
  // The first commit finds the coordinator; it is not a per-message cost.
  await consumer.commit([{ topic, partition: 0, offset: 0n }])
  const started = performance.now()
  for (let i = 0; i < commits; i++) await consumer.commit([{ topic, partition: 0, offset: BigInt(i + 1) }])
  const elapsed = performance.now() - started
  await consumer.close()
  await cluster.close()
  return elapsed
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
  const busyNeighbour = process.argv.includes('--busy-neighbour')
  const commits = Number(args[0] ?? 5000)
  const rounds = Number(args[1] ?? 3)
  const bootstrap = kafkaBootstrap()
  const cluster = Cluster.create({ bootstrap, clientId: 'micro-commit' })
  const topic = uniqueName('micro-commit')
  await new Admin(cluster).createTopics([{ topic, partitions: 1 }])
  // The bare socket and the Connection talk to the group's coordinator directly: find it with one untimed
  // commit, which the cluster's retries carry past a coordinator still loading (as on a fresh broker).
  const coordinatorOf = (groupId: string): Promise<BrokerEndpoint> =>
    cluster.withCoordinator('group', groupId, async (connection) => {
      const response = await connection.request(OffsetCommit, commitRequest(groupId, topic, 0n), {
        maxVersion: VERSION,
      })
      const error = errorForCode(response.topics[0]?.partitions[0]?.errorCode ?? 0, {
        broker: connection.address,
      })
      if (error !== null) throw error
      return { host: connection.host, port: connection.port }
    })

  const neighbour = busyNeighbour
    ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
    : undefined
  if (neighbour?.pid !== undefined) setPriority(neighbour.pid, 19)
  const rates: Record<'wire' | 'connection' | 'consumer', number[]> = {
    wire: [],
    connection: [],
    consumer: [],
  }
  try {
    for (let round = 0; round < rounds; round++) {
      // Each way commits to a group of its own, so none writes on top of another's offsets.
      const group = (way: string) => `${topic}-${way}-${round}`
      const wire = await overWire(await coordinatorOf(group('wire')), group('wire'), topic, commits)
      const connection = await overConnection(
        await coordinatorOf(group('connection')),
        group('connection'),
        topic,
        commits,
      )
      const consumer = await overConsumer(bootstrap, group('consumer'), topic, commits)
      rates.wire.push((commits / wire) * 1000)
      rates.connection.push((commits / connection) * 1000)
      rates.consumer.push((commits / consumer) * 1000)
    }
  } finally {
    neighbour?.kill()
    await cluster.close()
  }
  const wire = spread(rates.wire).median
  console.log(
    `${commits} commits × ${rounds} rounds${busyNeighbour ? ', busy neighbour' : ''} (median commits/s):`,
  )
  for (const [way, values] of Object.entries(rates)) {
    const rate = spread(values).median
    const perCommitUs = 1e6 / rate
    console.log(
      `  ${way.padEnd(10)} ${Math.round(rate).toLocaleString('en-US').padStart(7)}/s  ${perCommitUs.toFixed(0)} µs each` +
        (way === 'wire' ? '' : `, ${(rate / wire).toFixed(2)}× the bare socket`),
    )
  }
}

await main()
