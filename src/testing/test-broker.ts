/**
 * `startTestBroker()`: samsa's in-process Kafka broker (src/broker) for a test suite. It starts in
 * milliseconds on loopback ports, speaks the real wire protocol (any Kafka client can use it, not only
 * samsa), and gives the test the levers a real cluster does not: fault rules per API and node, pauses,
 * leader moves, epoch bumps with log truncation, and a clock to advance past session and transaction
 * timeouts without waiting.
 *
 * Defaults differ from the broker's own where tests gain time: topics are auto-created, and KIP-848 groups
 * tell members to heartbeat every 500 ms (Kafka: 5 s), so rebalances settle quickly.
 */

import { BrokerServer, type BrokerServerOptions } from '../broker/broker-server.ts'
import type { FaultRule, InjectedFault } from '../broker/faults.ts'

export type { FaultRule, InjectedFault } from '../broker/faults.ts'

export interface TestBrokerOptions extends BrokerServerOptions {
  /** Topics to create before the broker is handed over: names (with `defaultPartitions`) or specs. */
  readonly topics?: readonly (string | TestTopicSpec)[]
}

export interface TestTopicSpec {
  readonly topic: string
  readonly partitions?: number
  readonly configs?: Readonly<Record<string, string>>
}

export interface CommittedOffsetView {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly metadata: string
}

export interface TestBroker extends AsyncDisposable {
  /** `host:port` of every node, comma-separated: the `bootstrap` option of any client. */
  readonly bootstrap: string
  /** The same, one entry per node (kafkajs and others take a list). */
  readonly brokers: string[]
  /** Creates a topic directly (no request needed); throws if it exists. */
  createTopic(topic: string, options?: { partitions?: number; configs?: Record<string, string> }): void
  /** Adds a fault rule (see {@link FaultRule}); the returned handle removes it and counts its hits. */
  inject(rule: FaultRule): InjectedFault
  /** Removes every fault rule and releases every pause. */
  clearFaults(): void
  /** Holds every request to `node` (default: all nodes) until {@link resume}. */
  pause(node?: number): void
  resume(node?: number): void
  /** Closes every client connection to `node`, as a broker restart would. */
  dropConnections(node: number): void
  /** Moves a partition's leadership to `node`, bumping its leader epoch. */
  moveLeader(topic: string, partition: number, node: number): void
  /**
   * Bumps a partition's leader epoch on the same leader; with `truncateTo`, first cuts its log there (the
   * records from that offset on are lost, as after an unclean election). Returns the new epoch.
   */
  bumpLeaderEpoch(topic: string, partition: number, options?: { truncateTo?: bigint }): number
  /** Moves the broker's clock forward: expires sessions, rebalances and transactions due by then. */
  advanceClock(ms: number): void
  /** The partition's leader node, log start and end offsets, and leader epoch. */
  partition(
    topic: string,
    partition: number,
  ): { leader: number; leaderEpoch: number; logStartOffset: bigint; logEndOffset: bigint }
  /** The offsets `groupId` has committed (transactional ones once their transaction committed). */
  committedOffsets(groupId: string): CommittedOffsetView[]
  /**
   * Requests the broker could not serve and closed the connection over (undecodable, a version it does not
   * serve, an answer its codec refused): empty unless a client sent something a real broker would refuse
   * too, or the broker has a bug.
   */
  readonly requestErrors: readonly Error[]
  /** The underlying server, for what the helpers above do not cover. */
  readonly server: BrokerServer
  close(): Promise<void>
}

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const server = await BrokerServer.start({
    autoCreateTopics: true,
    consumerHeartbeatIntervalMs: 500,
    ...options,
  })
  const { state } = server
  const createTopic: TestBroker['createTopic'] = (topic, topicOptions = {}) => {
    if (state.topics.get(topic) !== undefined) throw new Error(`topic "${topic}" already exists`)
    state.topics.create(
      topic,
      topicOptions.partitions ?? state.settings.defaultPartitions,
      new Map(Object.entries(topicOptions.configs ?? {})),
    )
  }
  for (const spec of options.topics ?? []) {
    if (typeof spec === 'string') createTopic(spec)
    else createTopic(spec.topic, { partitions: spec.partitions, configs: { ...spec.configs } })
  }
  const partitionState = (topic: string, partition: number) => {
    const found = state.topics.partition(topic, partition)
    if (found === undefined) throw new RangeError(`no partition ${topic}-${partition}`)
    return found
  }
  const close = () => server.close()
  return {
    bootstrap: server.bootstrap,
    brokers: server.bootstrap.split(','),
    requestErrors: server.requestErrors,
    server,
    createTopic,
    inject: (rule) => server.faults.inject(rule),
    clearFaults: () => server.faults.clear(),
    pause: (node) => server.faults.pause(node),
    resume: (node) => server.faults.resume(node),
    dropConnections: (node) => server.dropConnections(node),
    moveLeader: (topic, partition, node) => {
      if (!state.nodes.some((n) => n.nodeId === node)) throw new RangeError(`no node ${node}`)
      state.topics.moveLeader(topic, partition, node)
    },
    bumpLeaderEpoch: (topic, partition, bumpOptions = {}) => {
      partitionState(topic, partition)
      return bumpOptions.truncateTo === undefined
        ? state.topics.bumpLeaderEpoch(topic, partition)
        : state.topics.truncate(topic, partition, bumpOptions.truncateTo)
    },
    advanceClock: (ms) => state.clock.advance(ms),
    partition: (topic, partition) => {
      const p = partitionState(topic, partition)
      return {
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        logStartOffset: p.log.logStartOffset,
        logEndOffset: p.log.logEndOffset,
      }
    },
    committedOffsets: (groupId) =>
      state.groups.offsets
        .partitions(groupId)
        .map(({ topic, partition }) => {
          const committed = state.groups.offsets.get(groupId, topic, partition)!
          return { topic, partition, offset: committed.offset, metadata: committed.metadata }
        })
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1)),
    close,
    [Symbol.asyncDispose]: close,
  }
}
