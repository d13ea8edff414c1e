/**
 * The admin client: topics, their configs and offsets, consumer groups, and a description of the cluster.
 *
 * Every call validates its arguments before touching the network and throws {@link ConfigError} naming the
 * bad option. Calls that change topics wait until the brokers' metadata shows the change (bounded by
 * `timeoutMs`), so a topic is usable as soon as `createTopics` resolves and a name is free again as soon as
 * `deleteTopics` resolves.
 *
 * Requests that must reach the controller go to any broker: in KRaft every broker forwards them.
 */

import type { Cluster } from '../cluster/cluster.ts'
import { type BrokerError, isRetriable, KafkaError } from '../common/errors.ts'
import { validateTopicName } from '../common/validate.ts'
import type { Connection, RequestOptions } from '../network/connection.ts'
import type { ApiDefinition } from '../protocol/api.ts'
import { errorForCode, isRetriableCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { CreatePartitions } from '../protocol/messages/create-partitions.ts'
import { CreateTopics } from '../protocol/messages/create-topics.ts'
import { DeleteRecords } from '../protocol/messages/delete-records.ts'
import { DeleteTopics } from '../protocol/messages/delete-topics.ts'
import { DescribeCluster } from '../protocol/messages/describe-cluster.ts'
import { DescribeConfigs } from '../protocol/messages/describe-configs.ts'
import { IncrementalAlterConfigs } from '../protocol/messages/incremental-alter-configs.ts'
import { ListOffsets } from '../protocol/messages/list-offsets.ts'
import { Metadata, type MetadataResponse } from '../protocol/messages/metadata.ts'
import { ZERO_UUID } from '../protocol/messages/support.ts'
import {
  defaultAdminTimeoutMs,
  resolveCreateTopicsOptions,
  resolveDeleteTopicsOptions,
  resolveListTopicsOptions,
  resolveNewPartitions,
  resolveNewTopics,
  resolveRecordsToDelete,
  resolveTimeoutOptions,
  resolveTimestamp,
  resolveTopicConfigChange,
  resolveTopicNames,
} from './admin-options.ts'
import { alterConfigsResource, configChangeApplied, configEntries, TOPIC_RESOURCE } from './config-source.ts'
import { GroupConfigAdmin } from './group-configs.ts'
import type {
  GroupDescription,
  GroupListing,
  GroupOffsetReset,
  GroupPartitionOffsets,
  ListGroupsOptions,
  ResetGroupOffsetsOptions,
} from './group-types.ts'
import { GroupAdmin } from './groups.ts'
import type {
  GroupConfigChange,
  ListShareGroupOffsetsOptions,
  ListShareGroupsOptions,
  ResetShareGroupOffsetsOptions,
  ShareGroupDescription,
  ShareGroupListing,
  ShareGroupOffsetReset,
  ShareGroupStartOffset,
  SharePartitionOffsets,
} from './share-group-types.ts'
import { ShareGroupAdmin } from './share-groups.ts'
import { type TopicFailure, throwTopicFailures, topicError } from './topic-errors.ts'
import type {
  ClusterDescription,
  ConfigEntry,
  CreatedTopic,
  CreateTopicsOptions,
  DeletedRecords,
  DeleteTopicsOptions,
  ListTopicsOptions,
  NewPartitions,
  NewTopic,
  PartitionDescription,
  PartitionOffsets,
  PartitionTimestampOffset,
  RecordsToDelete,
  TopicConfigChange,
  TopicDescription,
} from './types.ts'
import { waitUntil } from './wait-until.ts'

/** ListOffsets' special timestamps. */
const LATEST_TIMESTAMP = -1n
const EARLIEST_TIMESTAMP = -2n

/** Partition-level requests (ListOffsets, DeleteRecords) retry this often when leadership moves. */
const partitionRequestAttempts = 5

/** Extra time a request may take beyond the broker-side timeout it carries, so the broker answers first. */
const requestSlackMs = 5_000

export class Admin {
  readonly #cluster: Cluster
  readonly #groups: GroupAdmin
  readonly #shareGroups: ShareGroupAdmin
  readonly #groupConfigs: GroupConfigAdmin

  constructor(cluster: Cluster) {
    this.#cluster = cluster
    this.#groups = new GroupAdmin(cluster, this)
    this.#shareGroups = new ShareGroupAdmin(cluster, this, this.#groups)
    this.#groupConfigs = new GroupConfigAdmin(
      (api, request, options) => this.#toAnyBroker(api, request, options),
      (api, request, options) => this.#toController(api, request, options),
    )
  }

  /**
   * Creates topics, then waits until every broker's metadata shows each new partition with a leader.
   *
   * A topic that already exists fails the call with a {@link BrokerError} of code 36
   * (`TOPIC_ALREADY_EXISTS`), as in the Java client, unless `ifNotExists` is set: then it is reported with
   * `created: false` and left unchanged. Creation is not atomic: when some topics fail, the others are still
   * created, and the error names the failed ones.
   */
  async createTopics(topics: NewTopic[], options: CreateTopicsOptions = {}): Promise<CreatedTopic[]> {
    const requested = resolveNewTopics(topics)
    const { validateOnly, ifNotExists, timeoutMs } = resolveCreateTopicsOptions(options)
    const deadline = Date.now() + timeoutMs

    const response = await this.#toController(
      CreateTopics,
      {
        topics: requested.map((topic) => ({
          name: topic.topic,
          numPartitions: topic.partitions,
          replicationFactor: topic.replicationFactor,
          assignments: [],
          configs: topic.configs,
        })),
        timeoutMs,
        validateOnly,
      },
      { timeoutMs: timeoutMs + requestSlackMs },
    )

    const results = new Map(response.topics.map((result) => [result.name, result]))
    const failures: TopicFailure[] = []
    const created: CreatedTopic[] = []
    for (const { topic } of requested) {
      const result = results.get(topic)
      if (result === undefined) {
        throw new KafkaError(
          `the broker did not report on topic "${topic}" in its CreateTopics response`,
          -1,
          {
            topic,
          },
        )
      }
      if (result.errorCode === ErrorCode.NONE) {
        created.push({ topic, topicId: result.topicId ?? ZERO_UUID, created: !validateOnly })
      } else if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && ifNotExists) {
        created.push({ topic, topicId: result.topicId ?? ZERO_UUID, created: false })
      } else {
        failures.push({ topic, code: result.errorCode, detail: result.errorMessage ?? null })
      }
    }
    throwTopicFailures(failures)
    if (validateOnly) return created

    const expected = new Map(requested.map((topic) => [topic.topic, topic.partitions]))
    const described = await waitUntil(
      `topics ${created.map((topic) => `"${topic.topic}"`).join(', ')} to have a leader for every partition`,
      deadline,
      async () => {
        const topicsNow = await this.#describeWithoutFailing(created.map((topic) => topic.topic))
        const ready = created.every((topic) => {
          const description = topicsNow.get(topic.topic)
          if (description === undefined) return false
          // An existing topic may have any number of partitions; a new one must have them all.
          const wanted = topic.created ? (expected.get(topic.topic) ?? 1) : 1
          return (
            description.partitions.length >= wanted &&
            description.partitions.every((partition) => partition.leader >= 0)
          )
        })
        return ready ? topicsNow : undefined
      },
    )
    return created.map((topic) => ({
      ...topic,
      topicId: described.get(topic.topic)?.topicId ?? topic.topicId,
    }))
  }

  /**
   * Deletes topics, then waits until the brokers' metadata no longer lists them, so their names can be
   * reused at once. An unknown topic fails the call with code 3 (`UNKNOWN_TOPIC_OR_PARTITION`) unless
   * `ifExists` is set.
   */
  async deleteTopics(names: string[], options: DeleteTopicsOptions = {}): Promise<void> {
    const topics = resolveTopicNames('names', names)
    const { ifExists, timeoutMs } = resolveDeleteTopicsOptions(options)
    const deadline = Date.now() + timeoutMs

    const response = await this.#toController(
      DeleteTopics,
      {
        topics: topics.map((name) => ({ name, topicId: ZERO_UUID })),
        topicNames: topics,
        timeoutMs,
      },
      { timeoutMs: timeoutMs + requestSlackMs },
    )
    const failures: TopicFailure[] = []
    for (const result of response.responses) {
      if (result.errorCode === ErrorCode.NONE) continue
      if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && ifExists) continue
      failures.push({
        topic: result.name ?? '?',
        code: result.errorCode,
        detail: result.errorMessage ?? null,
      })
    }
    throwTopicFailures(failures)

    await waitUntil(
      `topics ${topics.map((name) => `"${name}"`).join(', ')} to disappear`,
      deadline,
      async () => {
        const remaining = await this.#describeWithoutFailing(topics)
        return remaining.size === 0 ? true : undefined
      },
    )
  }

  /** Names of the cluster's topics, sorted; internal topics only when `includeInternal` is set. */
  async listTopics(options: ListTopicsOptions = {}): Promise<string[]> {
    const { includeInternal } = resolveListTopicsOptions(options)
    const metadata = await this.#metadata(null)
    return metadata.topics
      .filter((topic) => topic.errorCode === ErrorCode.NONE && (includeInternal || !topic.isInternal))
      .map((topic) => topic.name ?? '')
      .filter((name) => name !== '')
      .sort()
  }

  /**
   * Describes topics, in the order given. An unknown topic fails the call with a {@link BrokerError} of
   * code 3 naming it.
   */
  async describeTopics(names: string[]): Promise<TopicDescription[]> {
    const topics = resolveTopicNames('names', names)
    const metadata = await this.#metadata(topics)
    const failures: TopicFailure[] = []
    const described = new Map<string, TopicDescription>()
    for (const topic of metadata.topics) {
      const name = topic.name ?? ''
      if (topic.errorCode !== ErrorCode.NONE)
        failures.push({ topic: name, code: topic.errorCode, detail: null })
      else described.set(name, toTopicDescription(topic))
    }
    throwTopicFailures(failures)
    return topics.map((name) => {
      const description = described.get(name)
      if (description === undefined) {
        throw topicError({ topic: name, code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, detail: null })
      }
      return description
    })
  }

  /** The cluster id, the controller the brokers report, and every live broker. */
  async describeCluster(): Promise<ClusterDescription> {
    const response = await this.#toAnyBroker(DescribeCluster, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
      includeFencedBrokers: false,
    })
    if (response.errorCode !== ErrorCode.NONE) {
      throw errorForCode(response.errorCode, { errorMessage: response.errorMessage })!
    }
    return {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers
        .map((broker) => ({
          nodeId: broker.brokerId,
          host: broker.host,
          port: broker.port,
          rack: broker.rack,
        }))
        .sort((a, b) => a.nodeId - b.nodeId),
    }
  }

  /** Grows topics to `count` partitions each, then waits until every new partition has a leader. */
  async createPartitions(requests: NewPartitions[], options: { timeoutMs?: number } = {}): Promise<void> {
    const wanted = resolveNewPartitions(requests)
    const { timeoutMs } = resolveTimeoutOptions(options)
    const deadline = Date.now() + timeoutMs
    const response = await this.#toController(
      CreatePartitions,
      {
        topics: wanted.map((request) => ({ name: request.topic, count: request.count, assignments: null })),
        timeoutMs,
        validateOnly: false,
      },
      { timeoutMs: timeoutMs + requestSlackMs },
    )
    throwTopicFailures(
      response.results
        .filter((result) => result.errorCode !== ErrorCode.NONE)
        .map((result) => ({ topic: result.name, code: result.errorCode, detail: result.errorMessage })),
    )
    const names = wanted.map((request) => request.topic)
    await waitUntil(`the new partitions of ${names.join(', ')} to have leaders`, deadline, async () => {
      const topicsNow = await this.#describeWithoutFailing(names)
      const ready = wanted.every((request) => {
        const partitions = topicsNow.get(request.topic)?.partitions ?? []
        return partitions.length >= request.count && partitions.every((partition) => partition.leader >= 0)
      })
      return ready ? true : undefined
    })
  }

  /** A topic's configs, by name: its own overrides and the defaults it inherits. */
  async describeTopicConfigs(topic: string): Promise<Map<string, ConfigEntry>> {
    const name = validateTopicName('topic', topic)
    const response = await this.#toAnyBroker(DescribeConfigs, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    })
    const result = response.results[0]
    if (result === undefined) {
      throw new KafkaError(`the broker did not report on topic "${name}" in its DescribeConfigs response`, -1)
    }
    if (result.errorCode !== ErrorCode.NONE) {
      throw topicError({ topic: name, code: result.errorCode, detail: result.errorMessage })
    }
    return configEntries(result.configs)
  }

  /**
   * Sets and removes topic config overrides, then waits until the brokers report them; configs not named
   * are left as they are.
   */
  async alterTopicConfigs(
    topic: string,
    change: TopicConfigChange,
    options: { timeoutMs?: number } = {},
  ): Promise<void> {
    const name = validateTopicName('topic', topic)
    const resolved = resolveTopicConfigChange(change)
    const { timeoutMs } = resolveTimeoutOptions(options)
    const deadline = Date.now() + timeoutMs
    const response = await this.#toController(IncrementalAlterConfigs, {
      resources: [alterConfigsResource(TOPIC_RESOURCE, name, resolved)],
      validateOnly: false,
    })
    const result = response.responses[0]
    if (result !== undefined && result.errorCode !== ErrorCode.NONE) {
      throw topicError({ topic: name, code: result.errorCode, detail: result.errorMessage })
    }
    // The controller has committed the change; brokers apply it from the metadata log a moment later.
    await waitUntil(`the new configs of topic "${name}" to take effect`, deadline, async () =>
      configChangeApplied(await this.describeTopicConfigs(name), resolved, 'topic') ? true : undefined,
    )
  }

  /** The earliest and latest offset of every partition of `topic`, sorted by partition. */
  async listOffsets(topic: string): Promise<PartitionOffsets[]> {
    const name = validateTopicName('topic', topic)
    const [earliest, latest] = await Promise.all([
      this.#offsetsAt(name, EARLIEST_TIMESTAMP),
      this.#offsetsAt(name, LATEST_TIMESTAMP),
    ])
    return [...earliest.keys()]
      .sort((a, b) => a - b)
      .map((partition) => ({
        partition,
        earliest: earliest.get(partition)!.offset,
        latest: latest.get(partition)?.offset ?? -1n,
      }))
  }

  /**
   * For every partition of `topic`, the first offset whose record timestamp is at or after `timestamp`
   * (ms since the epoch), or the log end when no record is that recent.
   */
  async offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionTimestampOffset[]> {
    const name = validateTopicName('topic', topic)
    const at = resolveTimestamp('timestamp', timestamp)
    const found = await this.#offsetsAt(name, BigInt(at))
    const needEnd = [...found.values()].some((entry) => entry.offset < 0n)
    const end = needEnd ? await this.#offsetsAt(name, LATEST_TIMESTAMP) : undefined
    return [...found.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, entry]) =>
        entry.offset >= 0n
          ? { partition, offset: entry.offset, timestamp: Number(entry.timestamp) }
          : { partition, offset: end?.get(partition)?.offset ?? 0n, timestamp: -1 },
      )
  }

  /** Deletes the records of `topic` below the given offsets; resolves with each partition's new log start. */
  async deleteRecords(
    topic: string,
    records: RecordsToDelete[],
    options: { timeoutMs?: number } = {},
  ): Promise<DeletedRecords[]> {
    const name = validateTopicName('topic', topic)
    const wanted = resolveRecordsToDelete(records)
    const { timeoutMs } = resolveTimeoutOptions(options)
    const deleted = await this.#perLeader(
      name,
      wanted.map((entry) => entry.partition),
      async (connection, partitions) => {
        const response = await connection.request(
          DeleteRecords,
          {
            topics: [
              {
                name,
                partitions: wanted
                  .filter((entry) => partitions.includes(entry.partition))
                  .map((entry) => ({ partitionIndex: entry.partition, offset: entry.offset })),
              },
            ],
            timeoutMs,
          },
          { timeoutMs: timeoutMs + requestSlackMs },
        )
        return (response.topics[0]?.partitions ?? []).map((partition) => ({
          partition: partition.partitionIndex,
          errorCode: partition.errorCode,
          value: { partition: partition.partitionIndex, lowWatermark: partition.lowWatermark },
        }))
      },
    )
    return [...deleted.values()].sort((a, b) => a.partition - b.partition)
  }

  /** Every consumer group of either protocol, sorted by id; see {@link GroupAdmin.listGroups}. */
  listGroups(options?: ListGroupsOptions): Promise<GroupListing[]> {
    return this.#groups.listGroups(options)
  }

  /** A group's type, state, assignor and members; see {@link GroupAdmin.describeGroup}. */
  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#groups.describeGroup(groupId)
  }

  /** A group's committed offsets, log ends and lag; see {@link GroupAdmin.listGroupOffsets}. */
  listGroupOffsets(groupId: string): Promise<GroupPartitionOffsets[]> {
    return this.#groups.listGroupOffsets(groupId)
  }

  /** Moves an inactive group's offsets (a dry run unless `dryRun: false`); see {@link GroupAdmin.resetGroupOffsets}. */
  resetGroupOffsets(groupId: string, options: ResetGroupOffsetsOptions): Promise<GroupOffsetReset[]> {
    return this.#groups.resetGroupOffsets(groupId, options)
  }

  /** Deletes an inactive group and its offsets; see {@link GroupAdmin.deleteGroup}. */
  deleteGroup(groupId: string): Promise<void> {
    return this.#groups.deleteGroup(groupId)
  }

  /** Every share group with its state, sorted by id; see {@link ShareGroupAdmin.listShareGroups}. */
  listShareGroups(options?: ListShareGroupsOptions): Promise<ShareGroupListing[]> {
    return this.#shareGroups.listShareGroups(options)
  }

  /** A share group's state, epochs and members; see {@link ShareGroupAdmin.describeShareGroup}. */
  describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    return this.#shareGroups.describeShareGroup(groupId)
  }

  /** A share group's start offsets and lag; see {@link ShareGroupAdmin.listShareGroupOffsets}. */
  listShareGroupOffsets(
    groupId: string,
    options?: ListShareGroupOffsetsOptions,
  ): Promise<SharePartitionOffsets[]> {
    return this.#shareGroups.listShareGroupOffsets(groupId, options)
  }

  /** Sets an inactive share group's start offsets; see {@link ShareGroupAdmin.alterShareGroupOffsets}. */
  alterShareGroupOffsets(groupId: string, offsets: ShareGroupStartOffset[]): Promise<void> {
    return this.#shareGroups.alterShareGroupOffsets(groupId, offsets)
  }

  /** Moves an inactive share group's start offsets (a dry run unless `dryRun: false`); see {@link ShareGroupAdmin.resetShareGroupOffsets}. */
  resetShareGroupOffsets(
    groupId: string,
    options: ResetShareGroupOffsetsOptions,
  ): Promise<ShareGroupOffsetReset[]> {
    return this.#shareGroups.resetShareGroupOffsets(groupId, options)
  }

  /** Forgets an inactive share group's start offsets for whole topics; see {@link ShareGroupAdmin.deleteShareGroupOffsets}. */
  deleteShareGroupOffsets(groupId: string, topics: string[]): Promise<void> {
    return this.#shareGroups.deleteShareGroupOffsets(groupId, topics)
  }

  /** Deletes an inactive share group; see {@link ShareGroupAdmin.deleteShareGroup}. */
  deleteShareGroup(groupId: string): Promise<void> {
    return this.#shareGroups.deleteShareGroup(groupId)
  }

  /** A group's configs (`share.auto.offset.reset`, …); see {@link GroupConfigAdmin.describeGroupConfigs}. */
  describeGroupConfigs(groupId: string): Promise<Map<string, ConfigEntry>> {
    return this.#groupConfigs.describeGroupConfigs(groupId)
  }

  /** Sets and removes a group's config overrides; see {@link GroupConfigAdmin.alterGroupConfigs}. */
  alterGroupConfigs(
    groupId: string,
    change: GroupConfigChange,
    options?: { timeoutMs?: number },
  ): Promise<void> {
    return this.#groupConfigs.alterGroupConfigs(groupId, change, options)
  }

  /** The offset (and its record's timestamp) for `timestamp` in every partition of `topic`. */
  async #offsetsAt(
    topic: string,
    timestamp: bigint,
  ): Promise<Map<number, { offset: bigint; timestamp: bigint }>> {
    return this.#perLeader(topic, 'all', async (connection, partitions, leaderEpochs) => {
      const response = await connection.request(ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: topic,
            partitions: partitions.map((partition) => ({
              partitionIndex: partition,
              currentLeaderEpoch: leaderEpochs.get(partition) ?? -1,
              timestamp,
            })),
          },
        ],
        timeoutMs: defaultAdminTimeoutMs,
      })
      return (response.topics[0]?.partitions ?? []).map((partition) => ({
        partition: partition.partitionIndex,
        errorCode: partition.errorCode,
        value: { offset: partition.offset, timestamp: partition.timestamp },
      }))
    })
  }

  /**
   * Sends a partition-level request to the leader of each of `partitions` (or of every partition of the
   * topic), grouped per leader, and retries the partitions whose leader moved (retriable codes) against
   * fresh metadata.
   */
  async #perLeader<T>(
    topic: string,
    partitions: number[] | 'all',
    send: (
      connection: Connection,
      partitions: number[],
      leaderEpochs: Map<number, number>,
    ) => Promise<Array<{ partition: number; errorCode: number; value: T }>>,
  ): Promise<Map<number, T>> {
    const results = new Map<number, T>()
    let pending = partitions === 'all' ? null : partitions
    for (let attempt = 1; pending === null || pending.length > 0; attempt++) {
      const description = (await this.describeTopics([topic]))[0]!
      pending ??= description.partitions.map((partition) => partition.partition)
      const byLeader = new Map<number, number[]>()
      const leaderEpochs = new Map<number, number>()
      for (const partition of pending) {
        const known = description.partitions.find((entry) => entry.partition === partition)
        if (known === undefined) {
          throw topicError({
            topic,
            code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            detail: `no partition ${partition}`,
          })
        }
        leaderEpochs.set(partition, known.leaderEpoch)
        const group = byLeader.get(known.leader) ?? []
        group.push(partition)
        byLeader.set(known.leader, group)
      }
      const retry: number[] = []
      let lastError: BrokerError | undefined
      await Promise.all(
        [...byLeader.entries()].map(async ([leader, group]) => {
          if (leader < 0) {
            retry.push(...group)
            return
          }
          const connection = await this.#cluster.connectionTo(leader)
          for (const entry of await send(connection, group, leaderEpochs)) {
            if (entry.errorCode === ErrorCode.NONE) {
              results.set(entry.partition, entry.value)
            } else if (isRetriableCode(entry.errorCode) && attempt < partitionRequestAttempts) {
              retry.push(entry.partition)
            } else {
              lastError = errorForCode(entry.errorCode, {
                topic,
                partition: entry.partition,
                broker: connection.address,
              })!
            }
          }
        }),
      )
      if (lastError !== undefined) throw lastError
      pending = retry
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
    return results
  }

  /** Described topics by name; unknown topics (or those still being created) are simply absent. */
  async #describeWithoutFailing(names: string[]): Promise<Map<string, TopicDescription>> {
    const metadata = await this.#metadata(names)
    const described = new Map<string, TopicDescription>()
    for (const topic of metadata.topics) {
      if (topic.errorCode === ErrorCode.NONE && topic.name)
        described.set(topic.name, toTopicDescription(topic))
    }
    return described
  }

  /** Sends a request that must reach the controller; in KRaft any broker forwards it. */
  #toController<Req, Res>(
    api: ApiDefinition<Req, Res>,
    request: Req,
    options?: RequestOptions,
  ): Promise<Res> {
    return this.#send(() => this.#cluster.controllerConnection(), api, request, options)
  }

  /** Sends a request any broker can answer. */
  #toAnyBroker<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: RequestOptions): Promise<Res> {
    return this.#send(() => this.#cluster.anyConnection(), api, request, options)
  }

  /**
   * Sends a request with the cluster's retry policy, so a connection that breaks mid-request is replaced.
   * Failing to connect in the first place is not retried here: the cluster already retried that, and
   * doing it again would multiply the wait before an unreachable cluster is reported.
   */
  #send<Req, Res>(
    connect: () => Promise<Connection>,
    api: ApiDefinition<Req, Res>,
    request: Req,
    options: RequestOptions | undefined,
  ): Promise<Res> {
    const connectFailures = new WeakSet<object>()
    return this.#cluster.retry(
      async () => {
        const connection = await connect().catch((error: unknown) => {
          if (typeof error === 'object' && error !== null) connectFailures.add(error)
          throw error
        })
        return connection.request(api, request, options)
      },
      {
        isRetriable: (error) =>
          isRetriable(error) && !(typeof error === 'object' && error !== null && connectFailures.has(error)),
      },
    )
  }

  /** A Metadata request for `topics` (all topics when null) that never creates a topic. */
  async #metadata(topics: string[] | null): Promise<MetadataResponse> {
    return this.#toAnyBroker(Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    })
  }
}

function toTopicDescription(topic: MetadataResponse['topics'][number]): TopicDescription {
  const partitions: PartitionDescription[] = topic.partitions
    .map((partition) => ({
      partition: partition.partitionIndex,
      leader: partition.leaderId,
      leaderEpoch: partition.leaderEpoch,
      replicas: partition.replicaNodes,
      isr: partition.isrNodes,
      offlineReplicas: partition.offlineReplicas,
    }))
    .sort((a, b) => a.partition - b.partition)
  return { name: topic.name ?? '', topicId: topic.topicId, isInternal: topic.isInternal, partitions }
}
