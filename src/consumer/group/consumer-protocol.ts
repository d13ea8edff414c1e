/**
 * The "consumer" embedded protocol of the classic group protocol: the bytes a consumer puts in JoinGroup's
 * protocol metadata (its subscription) and the leader puts in SyncGroup's assignments. The broker never reads
 * them; other clients in the same group do, so the layout is exactly Kafka's `ConsumerProtocolSubscription`
 * and `ConsumerProtocolAssignment` data schemas: an int16 version followed by non-flexible fields.
 *
 * Subscription versions: v1 adds owned partitions, v2 the generation id, v3 the rack id. Assignments have the
 * same layout in every version. A version newer than we know is read with the newest layout we know, which is
 * Kafka's rule for these schemas: later versions may only append fields.
 */

import { ProtocolDecodeError } from '../../common/errors.ts'
import type { TopicPartition } from '../../common/types.ts'
import { Reader } from '../../protocol/primitives/reader.ts'
import { Writer } from '../../protocol/primitives/writer.ts'
import { compareStrings } from './assignors/assignor.ts'

/** The protocol type every consumer registers in JoinGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

export const SUBSCRIPTION_VERSION = 3
export const ASSIGNMENT_VERSION = 3

export interface ConsumerSubscription {
  topics: string[]
  userData: Buffer | null
  ownedPartitions: TopicPartition[]
  /** -1 when unknown (and always for versions before 2). */
  generationId: number
  rackId: string | null
}

export interface ConsumerAssignment {
  partitions: TopicPartition[]
  userData: Buffer | null
}

export function encodeSubscription(
  subscription: ConsumerSubscription,
  version = SUBSCRIPTION_VERSION,
): Buffer {
  const writer = new Writer()
  writer.int16(version)
  writer.arrayLength(subscription.topics.length, false)
  for (const topic of subscription.topics) writer.string(topic)
  writer.bytes(subscription.userData)
  if (version >= 1) writeTopicPartitions(writer, subscription.ownedPartitions)
  if (version >= 2) writer.int32(subscription.generationId)
  if (version >= 3) writer.string(subscription.rackId)
  return writer.toBuffer()
}

export function decodeSubscription(bytes: Buffer): ConsumerSubscription {
  const reader = new Reader(bytes)
  const version = readVersion(reader, 'subscription')
  const topicCount = reader.arrayLength(false, 2) ?? 0
  const topics: string[] = []
  for (let i = 0; i < topicCount; i++) topics.push(requiredString(reader, 'subscription topic'))
  const userData = copyOrNull(reader.bytes())
  const ownedPartitions = version >= 1 ? readTopicPartitions(reader) : []
  const generationId = version >= 2 ? reader.int32() : -1
  const rackId = version >= 3 ? reader.string() : null
  return { topics, userData, ownedPartitions, generationId, rackId }
}

export function encodeAssignment(assignment: ConsumerAssignment, version = ASSIGNMENT_VERSION): Buffer {
  const writer = new Writer()
  writer.int16(version)
  writeTopicPartitions(writer, assignment.partitions)
  writer.bytes(assignment.userData)
  return writer.toBuffer()
}

/** Decodes an assignment. An empty buffer (what the coordinator sends a member left out of SyncGroup) is no partitions. */
export function decodeAssignment(bytes: Buffer): ConsumerAssignment {
  if (bytes.length === 0) return { partitions: [], userData: null }
  const reader = new Reader(bytes)
  readVersion(reader, 'assignment')
  const partitions = readTopicPartitions(reader)
  const userData = copyOrNull(reader.bytes())
  return { partitions, userData }
}

function readVersion(reader: Reader, what: string): number {
  const version = reader.int16()
  if (version < 0) throw new ProtocolDecodeError(`consumer protocol ${what} has negative version ${version}`)
  return version
}

function requiredString(reader: Reader, what: string): string {
  const value = reader.string()
  if (value === null) throw new ProtocolDecodeError(`${what} is null`)
  return value
}

// The received frame is reused by the network layer, so bytes kept beyond decoding are copied.
function copyOrNull(bytes: Buffer | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes)
}

/** Writes partitions grouped by topic (topics in name order, partitions ascending), as `[]TopicPartition`. */
function writeTopicPartitions(writer: Writer, partitions: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic) ?? []
    list.push(partition)
    byTopic.set(topic, list)
  }
  const topics = [...byTopic.keys()].sort(compareStrings)
  writer.arrayLength(topics.length, false)
  for (const topic of topics) {
    writer.string(topic)
    const list = byTopic.get(topic)!.sort((a, b) => a - b)
    writer.arrayLength(list.length, false)
    for (const partition of list) writer.int32(partition)
  }
}

function readTopicPartitions(reader: Reader): TopicPartition[] {
  const result: TopicPartition[] = []
  const topicCount = reader.arrayLength(false, 6) ?? 0
  for (let i = 0; i < topicCount; i++) {
    const topic = requiredString(reader, 'topic name')
    const count = reader.arrayLength(false, 4) ?? 0
    for (let j = 0; j < count; j++) result.push({ topic, partition: reader.int32() })
  }
  return result
}
