/**
 * Consumer-group administration: listing and describing groups, their committed offsets and lag, resetting
 * those offsets, and deleting groups. {@link Admin} exposes these as its own methods.
 *
 * Both group protocols are handled. A KIP-848 (`consumer`) group is described with ConsumerGroupDescribe,
 * a classic group with DescribeGroups; since the coordinator answers GROUP_ID_NOT_FOUND to
 * ConsumerGroupDescribe for a classic group, that answer is how a classic group is recognised.
 *
 * Offsets are reset the way Kafka's own tool does it: an OffsetCommit without a member id or generation,
 * which the coordinator accepts only while the group has no members. The group's state is checked first so
 * that the refusal names the group and its members instead of surfacing as UNKNOWN_MEMBER_ID.
 */

import type { Cluster } from '../cluster/cluster.ts'
import { type BrokerError, ConfigError, IllegalStateError, KafkaError } from '../common/errors.ts'
import type { TopicPartition } from '../common/types.ts'
import { topicPartitionKey } from '../common/types.ts'
import { decodeAssignment } from '../consumer/group/consumer-protocol.ts'
import type { Connection } from '../network/connection.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { ConsumerGroupDescribe } from '../protocol/messages/consumer-group-describe.ts'
import { DeleteGroups } from '../protocol/messages/delete-groups.ts'
import { DescribeGroups } from '../protocol/messages/describe-groups.ts'
import { ListGroups } from '../protocol/messages/list-groups.ts'
import { OffsetCommit } from '../protocol/messages/offset-commit.ts'
import { OffsetFetch } from '../protocol/messages/offset-fetch.ts'
import { ZERO_UUID } from '../protocol/messages/support.ts'
import { commitTopics } from '../protocol/offsets-by-topic.ts'
import { firstVersions, versionCaps } from '../protocol/version-caps.ts'
import {
  compareStrings,
  compareTopicPartitions,
  describedGroup,
  partitionsToReset,
  resolveNameList,
  validateGroupId,
} from './group-support.ts'
import type {
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  GroupOffsetReset,
  GroupPartitionOffsets,
  ListGroupsOptions,
  OffsetResetTarget,
  ResetGroupOffsetsOptions,
} from './group-types.ts'
import { resolveGroupResetOptions } from './reset-options.ts'
import type {
  ClusterDescription,
  PartitionOffsets,
  PartitionTimestampOffset,
  TopicDescription,
} from './types.ts'

/** The topic-level calls of the admin client that group administration builds on. */
export interface TopicAdmin {
  describeTopics(names: string[]): Promise<TopicDescription[]>
  listOffsets(topic: string): Promise<PartitionOffsets[]>
  offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionTimestampOffset[]>
  describeCluster(): Promise<ClusterDescription>
}

interface CommittedOffset extends TopicPartition {
  offset: bigint
  metadata: string | null
}

export class GroupAdmin {
  readonly #cluster: Cluster
  readonly #topics: TopicAdmin

  constructor(cluster: Cluster, topics: TopicAdmin) {
    this.#cluster = cluster
    this.#topics = topics
  }

  /**
   * Every group the cluster knows, of either protocol, sorted by id. Each broker reports only the groups it
   * coordinates, so every broker is asked.
   */
  async listGroups(options: ListGroupsOptions = {}): Promise<GroupListing[]> {
    const states = resolveNameList('states', options.states)
    const types = resolveNameList('types', options.types)
    const { brokers } = await this.#topics.describeCluster()
    const perBroker = await Promise.all(
      brokers.map((broker) =>
        this.#cluster.retry(async () => {
          const connection = await this.#cluster.connectionTo(broker.nodeId)
          const response = await connection.request(ListGroups, { statesFilter: states, typesFilter: types })
          const error = errorForCode(response.errorCode, { broker: connection.address })
          if (error !== null) throw error
          return response.groups
        }),
      ),
    )
    const groups = new Map<string, GroupListing>()
    for (const group of perBroker.flat()) {
      groups.set(group.groupId, {
        groupId: group.groupId,
        // Brokers before ListGroups v5 know only classic groups.
        type: group.groupType === '' ? 'classic' : group.groupType,
        protocolType: group.protocolType,
        state: group.groupState,
      })
    }
    return [...groups.values()].sort((a, b) => compareStrings(a.groupId, b.groupId))
  }

  /**
   * The group's type, state, assignor and members with the partitions each owns. A group the coordinator
   * does not know fails with a {@link BrokerError} of code 69 (`GROUP_ID_NOT_FOUND`).
   */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const id = validateGroupId(groupId)
    try {
      return await this.#cluster.withCoordinator('group', id, async (connection) => {
        const asConsumerGroup = await describeConsumerGroup(connection, id)
        return asConsumerGroup ?? (await describeClassicGroup(connection, id))
      })
    } catch (error) {
      if (error instanceof KafkaError && error.code === ErrorCode.GROUP_ID_NOT_FOUND) {
        throw (await this.#notAConsumerGroup(id)) ?? error
      }
      throw error
    }
  }

  /**
   * For every partition the group has committed an offset for or owns: the committed offset, the log end
   * and the lag, with the owning member — the rows of `kafka-consumer-groups.sh --describe`, sorted by topic
   * and partition. A partition of a deleted topic has a null log end and lag.
   */
  async listGroupOffsets(groupId: string): Promise<GroupPartitionOffsets[]> {
    const id = validateGroupId(groupId)
    const [committed, description] = await Promise.all([
      this.#committedOffsets(id),
      this.describeGroup(id).catch((error: unknown) => {
        // A group that only ever committed (no member ever joined) may not be describable.
        if (error instanceof KafkaError && error.code === ErrorCode.GROUP_ID_NOT_FOUND) return undefined
        throw error
      }),
    ])
    if (description === undefined && committed.size === 0) {
      throw (await this.#notAConsumerGroup(id)) ?? groupNotFound(id)
    }

    const owners = new Map<string, GroupMemberDescription>()
    for (const member of description?.members ?? []) {
      for (const tp of member.assignment) owners.set(topicPartitionKey(tp.topic, tp.partition), member)
    }
    const partitions = new Map<string, TopicPartition>()
    for (const [key, commit] of committed)
      partitions.set(key, { topic: commit.topic, partition: commit.partition })
    for (const member of description?.members ?? []) {
      for (const tp of member.assignment) partitions.set(topicPartitionKey(tp.topic, tp.partition), tp)
    }

    const topics = [...new Set([...partitions.values()].map((tp) => tp.topic))]
    const logEnds = new Map<string, bigint>()
    await Promise.all(
      topics.map(async (topic) => {
        const offsets = await this.#topics.listOffsets(topic).catch((error: unknown) => {
          if (error instanceof KafkaError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return []
          throw error
        })
        for (const entry of offsets) logEnds.set(topicPartitionKey(topic, entry.partition), entry.latest)
      }),
    )

    return [...partitions.entries()]
      .map(([key, tp]): GroupPartitionOffsets => {
        const commit = committed.get(key)
        const logEnd = logEnds.get(key) ?? null
        const owner = owners.get(key)
        return {
          topic: tp.topic,
          partition: tp.partition,
          committedOffset: commit?.offset ?? null,
          logEndOffset: logEnd,
          lag: commit === undefined || logEnd === null ? null : logEnd - commit.offset,
          metadata: commit?.metadata ?? null,
          memberId: owner?.memberId ?? null,
          clientId: owner?.clientId ?? null,
          clientHost: owner?.clientHost ?? null,
        }
      })
      .sort(compareTopicPartitions)
  }

  /**
   * Plans, and unless `dryRun` (the default) commits, new offsets for the group on one topic. Refused with an
   * {@link IllegalStateError} while the group has members, since they would overwrite the reset with their
   * next commit. A topic the group never committed for may be reset (the group then starts there), and a
   * group that does not exist yet is created by the commit, as with Kafka's tool.
   */
  async resetGroupOffsets(groupId: string, options: ResetGroupOffsetsOptions): Promise<GroupOffsetReset[]> {
    const id = validateGroupId(groupId)
    const { topic, partitions: wanted, to, dryRun } = resolveGroupResetOptions(options)
    const [description] = await this.#topics.describeTopics([topic])
    const existing = (description?.partitions ?? []).map((partition) => partition.partition)
    const partitions = partitionsToReset(topic, existing, wanted)

    await this.#refuseWhileActive(id)
    const committed = await this.#committedOffsets(id)
    const previous = (partition: number) => committed.get(topicPartitionKey(topic, partition))?.offset ?? null
    const targets = await this.#targetOffsets(topic, partitions, to, previous)
    const resets = partitions
      .map((partition) => ({
        topic,
        partition,
        previousOffset: previous(partition),
        newOffset: targets.get(partition)!,
      }))
      .sort(compareTopicPartitions)
    if (!dryRun) await this.#commitAsAdmin(id, resets)
    return resets
  }

  /**
   * Deletes the group and its committed offsets. Fails with a {@link BrokerError} of code 68
   * (`NON_EMPTY_GROUP`) while it has members, and code 69 (`GROUP_ID_NOT_FOUND`) when there is no such group.
   */
  async deleteGroup(groupId: string): Promise<void> {
    const id = validateGroupId(groupId)
    await this.#cluster.withCoordinator('group', id, async (connection) => {
      const response = await connection.request(DeleteGroups, { groupsNames: [id] })
      const result = response.results.find((entry) => entry.groupId === id)
      const error = errorForCode(result?.errorCode ?? 0, {
        broker: connection.address,
        errorMessage: result === undefined ? undefined : groupErrorDetail(id, result.errorCode),
      })
      if (error !== null) throw error
    })
  }

  /** The group's committed offsets by `topic-partition` key; partitions without a commit are absent. */
  async #committedOffsets(groupId: string): Promise<Map<string, CommittedOffset>> {
    return this.#cluster.withCoordinator('group', groupId, async (connection) => {
      // requireStable is off, as in Kafka's tool: an admin reading lag should see the last stable commit at
      // once rather than wait for an open transaction to end.
      const version = connection.versions.pick(OffsetFetch, versionCaps.offsetFetchByTopicName)
      const batched = version >= firstVersions.offsetFetchBatched
      const response = await connection.request(
        OffsetFetch,
        batched
          ? {
              groupId: '',
              topics: [],
              groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }],
              requireStable: false,
            }
          : { groupId, topics: null, groups: [], requireStable: false },
        { version },
      )
      const group = batched ? response.groups.find((entry) => entry.groupId === groupId) : undefined
      const groupError = errorForCode(batched ? (group?.errorCode ?? 0) : response.errorCode, {
        broker: connection.address,
      })
      if (groupError !== null) throw groupError
      const topics = batched ? (group?.topics ?? []) : response.topics
      const offsets = new Map<string, CommittedOffset>()
      for (const topic of topics) {
        for (const partition of topic.partitions) {
          const error = errorForCode(partition.errorCode, {
            broker: connection.address,
            topic: topic.name,
            partition: partition.partitionIndex,
          })
          if (error !== null) throw error
          if (partition.committedOffset < 0n) continue
          offsets.set(topicPartitionKey(topic.name, partition.partitionIndex), {
            topic: topic.name,
            partition: partition.partitionIndex,
            offset: partition.committedOffset,
            metadata: partition.metadata,
          })
        }
      }
      return offsets
    })
  }

  async #refuseWhileActive(groupId: string): Promise<void> {
    const description = await this.describeGroup(groupId).catch((error: unknown) => {
      if (error instanceof KafkaError && error.code === ErrorCode.GROUP_ID_NOT_FOUND) return undefined
      throw error
    })
    if (description !== undefined && description.members.length > 0) throw activeGroup(description)
    // The coordinator would refuse the commit with a bare GROUP_ID_NOT_FOUND; say why instead.
    if (description === undefined) {
      const wrongType = await this.#notAConsumerGroup(groupId)
      if (wrongType !== undefined) throw wrongType
    }
  }

  /**
   * The error to give when `groupId` names a group of another type (a share or streams group), which the
   * consumer-group requests answer with GROUP_ID_NOT_FOUND as if it did not exist; undefined otherwise.
   * Only asked on that error path: it lists the coordinator's groups.
   */
  async #notAConsumerGroup(groupId: string): Promise<BrokerError | undefined> {
    const type = await this.#cluster
      .withCoordinator('group', groupId, async (connection) => {
        const response = await connection.request(ListGroups, { statesFilter: [], typesFilter: [] })
        return response.groups.find((group) => group.groupId === groupId)?.groupType
      })
      .catch(() => undefined)
    if (type === undefined || type === '' || type === 'classic' || type === 'consumer') return undefined
    const hint =
      type === 'share' ? '; use describeShareGroup and the other share-group calls (samsa share-groups)' : ''
    return errorForCode(ErrorCode.GROUP_ID_NOT_FOUND, {
      errorMessage: `group "${groupId}" is a ${type} group, not a consumer group${hint}`,
    })!
  }

  /** The offset each partition moves to, clamped to the partition's current log range. */
  async #targetOffsets(
    topic: string,
    partitions: number[],
    to: OffsetResetTarget,
    previous: (partition: number) => bigint | null,
  ): Promise<Map<number, bigint>> {
    const ranges = new Map((await this.#topics.listOffsets(topic)).map((entry) => [entry.partition, entry]))
    const clamp = (partition: number, offset: bigint) => {
      const range = ranges.get(partition)
      if (range === undefined) return offset
      return offset < range.earliest ? range.earliest : offset > range.latest ? range.latest : offset
    }
    const targets = new Map<number, bigint>()
    if (typeof to === 'object' && 'timestamp' in to) {
      const found = await this.#topics.offsetsForTimestamp(topic, to.timestamp)
      for (const entry of found) targets.set(entry.partition, entry.offset)
      return targets
    }
    const missing: number[] = []
    for (const partition of partitions) {
      const range = ranges.get(partition)
      if (to === 'earliest') targets.set(partition, range?.earliest ?? 0n)
      else if (to === 'latest') targets.set(partition, range?.latest ?? 0n)
      else if ('offset' in to) targets.set(partition, clamp(partition, to.offset))
      else {
        const current = previous(partition)
        if (current === null) missing.push(partition)
        else targets.set(partition, clamp(partition, current + to.shiftBy))
      }
    }
    if (missing.length > 0) {
      throw new ConfigError(
        'to.shiftBy',
        `the group has no committed offset to shift from for topic "${topic}" partition(s) ${missing.join(', ')}`,
      )
    }
    return targets
  }

  /** Commits `resets` as a tool outside the group: no member id, generation -1. */
  async #commitAsAdmin(groupId: string, resets: GroupOffsetReset[]): Promise<void> {
    const topic = resets[0]?.topic
    if (topic === undefined) return
    await this.#cluster.withCoordinator('group', groupId, async (connection) => {
      const response = await connection.request(
        OffsetCommit,
        {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: commitTopics(
            resets.map((reset) => ({
              topic: reset.topic,
              partition: reset.partition,
              offset: reset.newOffset,
            })),
          ).map((entry) => ({ ...entry, topicId: ZERO_UUID })),
        },
        { maxVersion: versionCaps.offsetCommit },
      )
      for (const result of response.topics) {
        for (const partition of result.partitions) {
          if (partition.errorCode === ErrorCode.NONE) continue
          const error = errorForCode(partition.errorCode, {
            broker: connection.address,
            topic: result.name,
            partition: partition.partitionIndex,
          })!
          // The coordinator refuses a memberless commit once members have joined (after our check).
          if (!error.retriable && isMembershipCode(partition.errorCode)) {
            throw new IllegalStateError(
              `cannot reset the offsets of group "${groupId}": members joined it while resetting (${error.message})`,
              { cause: error },
            )
          }
          throw error
        }
      }
    })
  }
}

/** ConsumerGroupDescribe's answer, or undefined when the group is not a KIP-848 group (or unsupported). */
async function describeConsumerGroup(
  connection: Connection,
  groupId: string,
): Promise<GroupDescription | undefined> {
  if (!connection.versions.supports(ConsumerGroupDescribe)) return undefined
  const response = await connection.request(ConsumerGroupDescribe, {
    groupIds: [groupId],
    includeAuthorizedOperations: false,
  })
  const group = response.groups.find((entry) => entry.groupId === groupId)
  if (group === undefined || group.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return undefined
  const error = errorForCode(group.errorCode, {
    broker: connection.address,
    errorMessage: group.errorMessage,
  })
  if (error !== null) throw error
  return {
    groupId,
    type: 'consumer',
    state: group.groupState,
    protocolType: 'consumer',
    assignor: group.assignorName,
    coordinator: connection.nodeId ?? -1,
    members: group.members
      .map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.instanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        assignment: member.assignment.topicPartitions
          .flatMap((entry) => entry.partitions.map((partition) => ({ topic: entry.topicName, partition })))
          .sort(compareTopicPartitions),
      }))
      .sort((a, b) => compareStrings(a.memberId, b.memberId)),
  }
}

async function describeClassicGroup(connection: Connection, groupId: string): Promise<GroupDescription> {
  const response = await connection.request(DescribeGroups, {
    groups: [groupId],
    includeAuthorizedOperations: false,
  })
  const group = describedGroup(response.groups, groupId, 'DescribeGroups', connection, (code) =>
    groupErrorDetail(groupId, code),
  )
  // The classic coordinator describes a group it does not know as Dead rather than failing.
  if (group.groupState === 'Dead') throw groupNotFound(groupId)
  const decodes = group.protocolType === 'consumer'
  return {
    groupId,
    type: 'classic',
    state: group.groupState,
    protocolType: group.protocolType,
    assignor: group.protocolData,
    coordinator: connection.nodeId ?? -1,
    members: group.members
      .map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        // Other protocol types (Connect, Streams' own) carry assignments this client cannot read.
        assignment: decodes
          ? decodeAssignment(member.memberAssignment).partitions.sort(compareTopicPartitions)
          : [],
      }))
      .sort((a, b) => compareStrings(a.memberId, b.memberId)),
  }
}

function activeGroup(description: GroupDescription): IllegalStateError {
  const count = description.members.length
  return new IllegalStateError(
    `cannot reset the offsets of group "${description.groupId}" while it has ${count} active member${count === 1 ? '' : 's'} (state ${description.state}); stop its consumers first`,
  )
}

function groupNotFound(groupId: string): BrokerError {
  return errorForCode(ErrorCode.GROUP_ID_NOT_FOUND, { errorMessage: `group "${groupId}" does not exist` })!
}

function groupErrorDetail(groupId: string, code: number): string | undefined {
  if (code === ErrorCode.GROUP_ID_NOT_FOUND) return `group "${groupId}" does not exist`
  if (code === ErrorCode.NON_EMPTY_GROUP)
    return `group "${groupId}" still has members; stop its consumers first`
  return undefined
}

/** UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, STALE_MEMBER_EPOCH. */
function isMembershipCode(code: number): boolean {
  return (
    code === ErrorCode.UNKNOWN_MEMBER_ID ||
    code === ErrorCode.ILLEGAL_GENERATION ||
    code === ErrorCode.REBALANCE_IN_PROGRESS ||
    code === ErrorCode.STALE_MEMBER_EPOCH
  )
}
