/**
 * Share-group administration (KIP-932): listing and describing share groups, reading and moving their start
 * offsets, and deleting them. {@link Admin} exposes these as its own methods.
 *
 * A share group keeps no committed offsets. Per partition it keeps a share-partition start offset (SPSO):
 * every record below it is finished with. Moving it is what "resetting" a share group means, done with
 * AlterShareGroupOffsets, which the coordinator accepts only while the group has no members; the group's
 * state is checked first so that a refusal names the group and its members, as Kafka's own
 * `kafka-share-groups.sh --reset-offsets` does.
 *
 * Every request here goes to the group's coordinator. Answers that fail are turned into errors only after
 * the coordinator call returns, so that a retriable code about a topic (a deleted one, say) is reported
 * instead of being retried until the retry budget runs out.
 */

import type { Cluster } from '../cluster/cluster.ts'
import { type BrokerError, ConfigError, IllegalStateError, KafkaError } from '../common/errors.ts'
import { topicPartitionKey } from '../common/types.ts'
import { validateOffset, validatePartition, validateTopicName } from '../common/validate.ts'
import type { Connection } from '../network/connection.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { AlterShareGroupOffsets } from '../protocol/messages/alter-share-group-offsets.ts'
import { DeleteGroups } from '../protocol/messages/delete-groups.ts'
import { DeleteShareGroupOffsets } from '../protocol/messages/delete-share-group-offsets.ts'
import { DescribeShareGroupOffsets } from '../protocol/messages/describe-share-group-offsets.ts'
import { ShareGroupDescribe } from '../protocol/messages/share-group-describe.ts'
import {
  compareStrings,
  compareTopicPartitions,
  describedGroup,
  partitionsToReset,
  resolveNameList,
  validateGroupId,
} from './group-support.ts'
import type { GroupListing, ListGroupsOptions } from './group-types.ts'
import type { TopicAdmin } from './groups.ts'
import { resolveShareGroupResetOptions } from './reset-options.ts'
import type {
  ListShareGroupOffsetsOptions,
  ListShareGroupsOptions,
  ResetShareGroupOffsetsOptions,
  ShareGroupDescription,
  ShareGroupListing,
  ShareGroupOffsetReset,
  ShareGroupStartOffset,
  ShareOffsetResetTarget,
  SharePartitionOffsets,
} from './share-group-types.ts'

/** The group listing the share-group calls build on. */
export interface GroupLister {
  listGroups(options?: ListGroupsOptions): Promise<GroupListing[]>
}

/** A broker error code with the context it came with, to be thrown once the coordinator call is over. */
interface Failure {
  code: number
  message: string | null
  topic?: string
  partition?: number
}

export class ShareGroupAdmin {
  readonly #cluster: Cluster
  readonly #topics: TopicAdmin
  readonly #groups: GroupLister

  constructor(cluster: Cluster, topics: TopicAdmin, groups: GroupLister) {
    this.#cluster = cluster
    this.#topics = topics
    this.#groups = groups
  }

  /** Every share group, sorted by id, with its state. Each broker is asked (by ListGroups' type filter). */
  async listShareGroups(options: ListShareGroupsOptions = {}): Promise<ShareGroupListing[]> {
    if (typeof options !== 'object' || options === null)
      throw new ConfigError('options', 'expected { states? }')
    for (const key of Object.keys(options)) {
      if (key !== 'states') throw new ConfigError(key, 'unknown option; the only option is states')
    }
    const states = resolveNameList('states', options.states)
    const listed = await this.#groups.listGroups({ types: ['share'], states })
    // The type filter is the broker's; a broker too old for it would list every group.
    return listed
      .filter((group) => group.type === 'share')
      .map((group) => ({ groupId: group.groupId, state: group.state }))
  }

  /**
   * The group's state, epochs, assignor and members with what each is assigned. A group that does not exist,
   * or is not a share group, fails with a {@link BrokerError} of code 69 (`GROUP_ID_NOT_FOUND`).
   */
  async describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    const id = validateGroupId(groupId)
    return this.#cluster.withCoordinator('group', id, (connection) => describe(connection, id))
  }

  /**
   * Each partition's start offset, its leader epoch and the broker's lag, sorted by topic and partition: the
   * rows of `kafka-share-groups.sh --describe`. Fails with code 69 (`GROUP_ID_NOT_FOUND`) for a group that
   * neither exists nor has offsets.
   */
  async listShareGroupOffsets(
    groupId: string,
    options: ListShareGroupOffsetsOptions = {},
  ): Promise<SharePartitionOffsets[]> {
    const id = validateGroupId(groupId)
    if (typeof options !== 'object' || options === null)
      throw new ConfigError('options', 'expected { topics? }')
    for (const key of Object.keys(options)) {
      if (key !== 'topics') throw new ConfigError(key, 'unknown option; the only option is topics')
    }
    const topics =
      options.topics === undefined
        ? null
        : [...new Set(options.topics.map((topic, i) => validateTopicName(`topics[${i}]`, topic)))]
    // The request names partitions one by one; every partition of each named topic is wanted.
    const wanted =
      topics === null
        ? null
        : (await this.#topics.describeTopics(topics)).map((topic) => ({
            topicName: topic.name,
            partitions: topic.partitions.map((partition) => partition.partition),
          }))
    const { rows, failures } = await this.#cluster.withCoordinator('group', id, async (connection) => {
      const response = await connection.request(DescribeShareGroupOffsets, {
        groups: [{ groupId: id, topics: wanted }],
      })
      const group = response.groups.find((entry) => entry.groupId === id)
      const found: Failure[] = []
      if (group !== undefined && group.errorCode !== ErrorCode.NONE) {
        found.push({ code: group.errorCode, message: group.errorMessage })
      }
      const offsets: SharePartitionOffsets[] = []
      for (const topic of group?.topics ?? []) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== ErrorCode.NONE) {
            found.push({
              code: partition.errorCode,
              message: partition.errorMessage,
              topic: topic.topicName,
              partition: partition.partitionIndex,
            })
            continue
          }
          offsets.push({
            topic: topic.topicName,
            partition: partition.partitionIndex,
            // -1 marks a share partition not initialised yet (no member fetched from it).
            startOffset: partition.startOffset < 0n ? null : partition.startOffset,
            leaderEpoch: partition.leaderEpoch < 0 ? null : partition.leaderEpoch,
            lag: partition.lag < 0n ? null : partition.lag,
          })
        }
      }
      return { rows: offsets, failures: found }
    })
    throwFirst(failures, id)
    // The coordinator answers an unknown group with no topics rather than an error; tell the two apart.
    if (rows.length === 0 && topics === null) await this.describeShareGroup(id)
    return rows.sort(compareTopicPartitions)
  }

  /**
   * Sets start offsets as given. Refused with an {@link IllegalStateError} while the group has members, as by
   * the coordinator. An offset beyond the log's range is the broker's to judge.
   */
  async alterShareGroupOffsets(groupId: string, offsets: ShareGroupStartOffset[]): Promise<void> {
    const id = validateGroupId(groupId)
    const wanted = resolveStartOffsets(offsets)
    await this.#refuseWhileActive(id, 'set the start offsets of')
    await this.#alter(id, wanted)
  }

  /**
   * Plans, and unless `dryRun` (the default) sets, new start offsets for the group on one topic. Refused with
   * an {@link IllegalStateError} while the group has members. A group that does not exist yet may be reset,
   * as with Kafka's tool.
   */
  async resetShareGroupOffsets(
    groupId: string,
    options: ResetShareGroupOffsetsOptions,
  ): Promise<ShareGroupOffsetReset[]> {
    const id = validateGroupId(groupId)
    const { topic, partitions: wanted, to, dryRun } = resolveShareGroupResetOptions(options)
    const [description] = await this.#topics.describeTopics([topic])
    const existing = (description?.partitions ?? []).map((partition) => partition.partition)
    const partitions = partitionsToReset(topic, existing, wanted)
    const groupExists = await this.#refuseWhileActive(id, 'reset the start offsets of')
    const current = groupExists ? await this.listShareGroupOffsets(id, { topics: [topic] }) : []
    const previous = new Map(current.map((row) => [row.partition, row.startOffset]))
    const targets = await this.#targetOffsets(topic, to)
    const resets = partitions
      .map((partition) => ({
        topic,
        partition,
        previousOffset: previous.get(partition) ?? null,
        newOffset: targets(partition),
      }))
      .sort(compareTopicPartitions)
    if (!dryRun) {
      await this.#alter(
        id,
        resets.map((reset) => ({ topic, partition: reset.partition, offset: reset.newOffset })),
      )
    }
    return resets
  }

  /**
   * Forgets the group's start offsets (and delivery state) for whole topics: a member that fetches them again
   * starts where `share.auto.offset.reset` says. Refused with an {@link IllegalStateError} while the group has
   * members.
   */
  async deleteShareGroupOffsets(groupId: string, topics: string[]): Promise<void> {
    const id = validateGroupId(groupId)
    if (!Array.isArray(topics) || topics.length === 0) {
      throw new ConfigError('topics', 'expected a non-empty array of topic names')
    }
    const names = [...new Set(topics.map((topic, i) => validateTopicName(`topics[${i}]`, topic)))]
    await this.#refuseWhileActive(id, 'delete the start offsets of')
    const failures = await this.#cluster.withCoordinator('group', id, async (connection) => {
      const response = await connection.request(DeleteShareGroupOffsets, {
        groupId: id,
        topics: names.map((topicName) => ({ topicName })),
      })
      const found: Failure[] = []
      if (response.errorCode !== ErrorCode.NONE) {
        found.push({ code: response.errorCode, message: response.errorMessage })
      }
      for (const topic of response.responses) {
        if (topic.errorCode !== ErrorCode.NONE) {
          found.push({ code: topic.errorCode, message: topic.errorMessage, topic: topic.topicName })
        }
      }
      return found
    })
    throwFirst(failures, id, 'delete the start offsets of')
  }

  /**
   * Deletes the share group and its start offsets. Fails with a {@link BrokerError} of code 68
   * (`NON_EMPTY_GROUP`) while it has members, and code 69 (`GROUP_ID_NOT_FOUND`) when there is no such share
   * group (a consumer group of that name is left alone).
   */
  async deleteShareGroup(groupId: string): Promise<void> {
    const id = validateGroupId(groupId)
    // DeleteGroups deletes a group of any type; make sure this one is a share group first.
    await this.describeShareGroup(id)
    const failures = await this.#cluster.withCoordinator('group', id, async (connection) => {
      const response = await connection.request(DeleteGroups, { groupsNames: [id] })
      const result = response.results.find((entry) => entry.groupId === id)
      return result === undefined || result.errorCode === ErrorCode.NONE
        ? []
        : [{ code: result.errorCode, message: null }]
    })
    throwFirst(failures, id)
  }

  /** Throws while the group has members; resolves with whether the group exists at all. */
  async #refuseWhileActive(groupId: string, action: string): Promise<boolean> {
    const description = await this.describeShareGroup(groupId).catch((error: unknown) => {
      if (error instanceof KafkaError && error.code === ErrorCode.GROUP_ID_NOT_FOUND) return undefined
      throw error
    })
    if (description !== undefined && description.members.length > 0) {
      const count = description.members.length
      throw new IllegalStateError(
        `cannot ${action} share group "${groupId}" while it has ${count} active member${count === 1 ? '' : 's'} (state ${description.state}); stop its consumers first`,
      )
    }
    return description !== undefined
  }

  /** Where each partition of `topic` moves, clamped to the partition's current log range. */
  async #targetOffsets(topic: string, to: ShareOffsetResetTarget): Promise<(partition: number) => bigint> {
    if (typeof to === 'object' && 'timestamp' in to) {
      const found = await this.#topics.offsetsForTimestamp(topic, to.timestamp)
      const byPartition = new Map(found.map((entry) => [entry.partition, entry.offset]))
      return (partition) => byPartition.get(partition) ?? 0n
    }
    const ranges = new Map((await this.#topics.listOffsets(topic)).map((entry) => [entry.partition, entry]))
    return (partition) => {
      const range = ranges.get(partition)
      if (to === 'earliest') return range?.earliest ?? 0n
      if (to === 'latest') return range?.latest ?? 0n
      if (range === undefined) return to.offset
      if (to.offset < range.earliest) return range.earliest
      if (to.offset > range.latest) return range.latest
      return to.offset
    }
  }

  async #alter(groupId: string, offsets: ShareGroupStartOffset[]): Promise<void> {
    const byTopic = new Map<string, ShareGroupStartOffset[]>()
    for (const entry of offsets) byTopic.set(entry.topic, [...(byTopic.get(entry.topic) ?? []), entry])
    const failures = await this.#cluster.withCoordinator('group', groupId, async (connection) => {
      const response = await connection.request(AlterShareGroupOffsets, {
        groupId,
        topics: [...byTopic].map(([topicName, entries]) => ({
          topicName,
          partitions: entries.map((entry) => ({
            partitionIndex: entry.partition,
            startOffset: entry.offset,
          })),
        })),
      })
      return alterFailures(response)
    })
    throwFirst(failures, groupId, 'set the start offsets of')
  }
}

async function describe(connection: Connection, groupId: string): Promise<ShareGroupDescription> {
  const response = await connection.request(ShareGroupDescribe, {
    groupIds: [groupId],
    includeAuthorizedOperations: false,
  })
  const group = describedGroup(response.groups, groupId, 'ShareGroupDescribe', connection)
  return {
    groupId,
    state: group.groupState,
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignor: group.assignorName,
    coordinator: connection.nodeId ?? -1,
    members: group.members
      .map((member) => ({
        memberId: member.memberId,
        rackId: member.rackId,
        memberEpoch: member.memberEpoch,
        clientId: member.clientId,
        clientHost: member.clientHost,
        subscribedTopics: [...member.subscribedTopicNames].sort(compareStrings),
        assignment: member.assignment.topicPartitions
          .flatMap((entry) => entry.partitions.map((partition) => ({ topic: entry.topicName, partition })))
          .sort(compareTopicPartitions),
      }))
      .sort((a, b) => compareStrings(a.memberId, b.memberId)),
  }
}

function alterFailures(response: {
  errorCode: number
  errorMessage: string | null
  responses: {
    topicName: string
    partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[]
  }[]
}): Failure[] {
  const found: Failure[] = []
  if (response.errorCode !== ErrorCode.NONE) {
    found.push({ code: response.errorCode, message: response.errorMessage })
  }
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      if (partition.errorCode === ErrorCode.NONE) continue
      found.push({
        code: partition.errorCode,
        message: partition.errorMessage,
        topic: topic.topicName,
        partition: partition.partitionIndex,
      })
    }
  }
  return found
}

/**
 * Throws the first failure: NON_EMPTY_GROUP (members joined after the check) as an {@link IllegalStateError}
 * when an `action` is named, anything else as the broker's error with the group named.
 */
function throwFirst(failures: Failure[], groupId: string, action?: string): void {
  const failure = failures[0]
  if (failure === undefined) return
  const error: BrokerError = errorForCode(failure.code, {
    topic: failure.topic,
    partition: failure.partition,
    errorMessage: failure.message ?? detailFor(groupId, failure.code),
  })!
  if (action !== undefined && failure.code === ErrorCode.NON_EMPTY_GROUP) {
    throw new IllegalStateError(
      `cannot ${action} share group "${groupId}": it has active members (${error.message})`,
      { cause: error },
    )
  }
  throw error
}

function detailFor(groupId: string, code: number): string | undefined {
  if (code === ErrorCode.GROUP_ID_NOT_FOUND) return `share group "${groupId}" does not exist`
  if (code === ErrorCode.NON_EMPTY_GROUP)
    return `share group "${groupId}" still has members; stop its consumers first`
  return undefined
}

function resolveStartOffsets(offsets: unknown): ShareGroupStartOffset[] {
  if (!Array.isArray(offsets) || offsets.length === 0) {
    throw new ConfigError('offsets', 'expected a non-empty array of { topic, partition, offset }')
  }
  const seen = new Set<string>()
  return offsets.map((entry: unknown, i) => {
    const path = `offsets[${i}]`
    if (typeof entry !== 'object' || entry === null) {
      throw new ConfigError(path, 'expected { topic, partition, offset }')
    }
    const raw = entry as Record<string, unknown>
    for (const key of Object.keys(raw)) {
      if (!['topic', 'partition', 'offset'].includes(key)) {
        throw new ConfigError(`${path}.${key}`, 'unknown option; known options are topic, partition, offset')
      }
    }
    const topic = validateTopicName(`${path}.topic`, raw.topic)
    const partition = validatePartition(`${path}.partition`, raw.partition)
    const offset = validateOffset(`${path}.offset`, raw.offset)
    const key = topicPartitionKey(topic, partition)
    if (seen.has(key)) throw new ConfigError(path, `topic "${topic}" partition ${partition} is given twice`)
    seen.add(key)
    return { topic, partition, offset }
  })
}
