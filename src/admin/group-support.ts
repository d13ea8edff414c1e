/** Validation and ordering shared by the consumer-group and share-group administration. */

import { ConfigError, KafkaError } from '../common/errors.ts'
import type { TopicPartition } from '../common/types.ts'
import type { Connection } from '../network/connection.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'

export function validateGroupId(groupId: unknown): string {
  if (typeof groupId !== 'string' || groupId.length === 0) {
    throw new ConfigError(
      'groupId',
      `expected a non-empty group id, got ${JSON.stringify(groupId) ?? String(groupId)}`,
    )
  }
  return groupId
}

export function resolveNameList(option: string, value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new ConfigError(option, 'expected an array of non-empty strings')
  }
  return value as string[]
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition
}

/** What every Describe*Group response says of one group. */
interface DescribedGroupEntry {
  groupId: string
  errorCode: number
  errorMessage?: string | null
}

/**
 * The entry for `groupId` in a group-describing response (`request` names it), whose error code is thrown
 * as the broker's error; `detail` stands in when the broker sent no message of its own. A response that
 * leaves the group out is a broker fault, reported as such rather than as an absent group.
 */
export function describedGroup<Entry extends DescribedGroupEntry>(
  groups: readonly Entry[],
  groupId: string,
  request: string,
  connection: Connection,
  detail?: (errorCode: number) => string | undefined,
): Entry {
  const group = groups.find((entry) => entry.groupId === groupId)
  if (group === undefined) {
    throw new KafkaError(`the broker did not report on group "${groupId}" in its ${request} response`, -1, {
      broker: connection.address,
    })
  }
  const error = errorForCode(group.errorCode, {
    broker: connection.address,
    errorMessage: group.errorMessage ?? detail?.(group.errorCode),
  })
  if (error !== null) throw error
  return group
}

/**
 * The partitions of `topic` a reset moves: those `wanted`, each checked to be one of the `existing`
 * partitions, or all of them.
 */
export function partitionsToReset(
  topic: string,
  existing: readonly number[],
  wanted?: readonly number[],
): number[] {
  for (const partition of wanted ?? []) {
    if (!existing.includes(partition)) {
      throw new ConfigError(
        'partitions',
        `topic "${topic}" has ${existing.length} partition(s); ${partition} is not one`,
      )
    }
  }
  return [...(wanted ?? existing)]
}
