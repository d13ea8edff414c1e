import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ZERO_TOPIC_ID } from '../../../src/cluster/metadata.ts'
import { BrokerError, ClosedError, ConnectionError } from '../../../src/common/errors.ts'
import { plaintextSocketFactory } from '../../../src/network/socket-factory.ts'
import { Metadata } from '../../../src/protocol/messages/metadata.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { createTopic } from '../network/broker-fixtures.ts'

const emptyMetadata = {
  topics: [],
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
}

describe('Cluster against a real broker', () => {
  const sockets: Socket[] = []
  let cluster: Cluster
  const topic = uniqueName('cluster-routing')

  beforeAll(async () => {
    const options = resolveClientOptions({ bootstrap: kafkaBootstrap(), clientId: 'samsa-cluster-test' })
    // The socket factory is the extension point TLS uses; here it lets a test break connections at will.
    options.socketFactory = async (endpoint, signal) => {
      const socket = await plaintextSocketFactory(endpoint, signal)
      sockets.push(socket)
      return socket
    }
    cluster = new Cluster(options)
    await cluster.connect()
    await createTopic(await cluster.anyConnection(), topic, 3)
  })

  afterAll(async () => {
    await cluster.close()
  })

  it('bootstraps the broker list, cluster id and controller', () => {
    const snapshot = cluster.currentMetadata
    expect(snapshot.brokers.size).toBeGreaterThan(0)
    expect(snapshot.clusterId).toMatch(/\S+/)
    expect(snapshot.brokers.has(snapshot.controllerId)).toBe(true)
  })

  it('shows a created topic with its 3 partitions, their leaders and its topic id', async () => {
    const partitions = await cluster.partitionsFor(topic)
    expect(partitions.map((p) => p.partition)).toEqual([0, 1, 2])
    const brokers = cluster.currentMetadata.brokers
    for (const partition of partitions) {
      expect(partition.topic).toBe(topic)
      expect(brokers.has(partition.leaderId)).toBe(true)
      expect(partition.replicas).toContain(partition.leaderId)
      expect(partition.isr).toContain(partition.leaderId)
      expect(partition.leaderEpoch).toBeGreaterThanOrEqual(0)
    }
    const topicId = await cluster.topicId(topic)
    expect(topicId).not.toBe(ZERO_TOPIC_ID)
    expect(cluster.topicName(topicId)).toBe(topic)
  })

  it('routes a partition to the connection of its leader', async () => {
    for (const partition of [0, 1, 2]) {
      const leader = await cluster.leaderFor(topic, partition)
      const connection = await cluster.leaderConnection(topic, partition)
      expect(connection.nodeId).toBe(leader)
      const broker = cluster.currentMetadata.brokers.get(leader)!
      expect(connection.address).toBe(`${broker.host}:${broker.port}`)
      // One pooled connection per node.
      expect(await cluster.connectionTo(leader)).toBe(connection)
    }
  })

  it('names a partition that does not exist', async () => {
    await expect(cluster.leaderFor(topic, 7)).rejects.toThrow(
      /has 3 partitions \(0-2\); partition 7 does not exist/,
    )
  })

  it('fails clearly, after a bounded wait, for a topic that does not exist', async () => {
    const quick = Cluster.create({ bootstrap: kafkaBootstrap(), retries: 2, retryBackoffMs: 20 })
    try {
      const missing = uniqueName('no-such-topic')
      const error = await quick.partitionsFor(missing).then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(BrokerError)
      expect((error as BrokerError).errorName).toBe('UNKNOWN_TOPIC_OR_PARTITION')
      expect((error as BrokerError).topic).toBe(missing)
      expect((error as BrokerError).message).toContain(`"${missing}" does not exist`)
      expect((error as BrokerError).retriable).toBe(false)
    } finally {
      await quick.close()
    }
  })

  it('coalesces concurrent metadata refreshes into one request', async () => {
    const snapshots = await Promise.all(Array.from({ length: 5 }, () => cluster.refreshMetadata()))
    for (const snapshot of snapshots) expect(snapshot).toBe(snapshots[0])
    expect(snapshots[0]!.topics.has(topic)).toBe(true)
  })

  it('finds the group coordinator with FindCoordinator and caches it', async () => {
    const group = uniqueName('group')
    const coordinator = await cluster.coordinatorFor('group', group)
    expect(cluster.currentMetadata.brokers.has(coordinator.nodeId)).toBe(true)
    expect(await cluster.coordinatorFor('group', group)).toBe(coordinator)
    const connection = await cluster.coordinatorConnection('group', group)
    expect(connection.nodeId).toBe(coordinator.nodeId)
  })

  it('looks the coordinator up again when an operation says NOT_COORDINATOR', async () => {
    const group = uniqueName('moving-group')
    const first = await cluster.coordinatorFor('group', group)
    let calls = 0
    const result = await cluster.withCoordinator('group', group, async (connection) => {
      calls++
      if (calls === 1) {
        throw new BrokerError('not the coordinator', 16, 'NOT_COORDINATOR', { retriable: true })
      }
      return connection.nodeId
    })
    expect(calls).toBe(2)
    expect(result).toBe(first.nodeId)
    // The cached answer was dropped and fetched again: a new object.
    expect(await cluster.coordinatorFor('group', group)).not.toBe(first)
  })

  it('refreshes metadata before retrying an error that says it is stale', async () => {
    const before = cluster.currentMetadata
    let attempts = 0
    const value = await cluster.retry(async () => {
      attempts++
      if (attempts === 1) throw new BrokerError('moved', 6, 'NOT_LEADER_OR_FOLLOWER', { retriable: true })
      return cluster.currentMetadata
    })
    expect(attempts).toBe(2)
    expect(value.fetchedAt).toBeGreaterThan(before.fetchedAt)
  })

  it('fails in-flight requests when a connection breaks, and reconnects for the next request', async () => {
    const leader = await cluster.leaderFor(topic, 0)
    const connection = await cluster.connectionTo(leader)
    const pending = Array.from({ length: 10 }, () => connection.request(Metadata, emptyMetadata))
    for (const socket of sockets) if (!socket.destroyed) socket.destroy()
    const outcomes = await Promise.allSettled(pending)
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected')
    expect(failures.length).toBeGreaterThan(0)
    for (const failure of failures) {
      expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError)
    }
    const fresh = await cluster.connectionTo(leader)
    expect(fresh).not.toBe(connection)
    expect(fresh.state).toBe('ready')
    const response = await fresh.request(Metadata, emptyMetadata)
    expect(response.brokers.length).toBeGreaterThan(0)
  })
})

describe('Cluster with an unreachable bootstrap', () => {
  it('fails with a ConnectionError naming every address tried, after its retries, without hanging', async () => {
    const cluster = Cluster.create({
      bootstrap: ['127.0.0.1:1', '127.0.0.1:2'],
      retries: 2,
      retryBackoffMs: 10,
      connectionTimeoutMs: 2000,
    })
    const started = performance.now()
    const error = await cluster.connect().then(
      () => null,
      (e: unknown) => e,
    )
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(ConnectionError)
    const message = (error as ConnectionError).message
    expect(message).toContain('127.0.0.1:1')
    expect(message).toContain('127.0.0.1:2')
    expect(message).toContain('attempt 3 of 3')
    expect(message).toMatch(/Check that `bootstrap` lists/)
    // Only a sanity bound: it must terminate, well within the test timeout.
    expect(elapsed).toBeLessThan(30_000)
    await cluster.close()
    await expect(cluster.anyConnection()).rejects.toBeInstanceOf(ClosedError)
  })
})
