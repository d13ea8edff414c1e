/** Public types of the transactional producer. */

import type { TopicPartitionOffset } from '../../common/types.ts'

/**
 * The consumer group member whose offsets a transaction commits: pass `consumer.groupMetadata()`. The
 * coordinator rejects the commit (and the transaction must abort) if this member has since left the group
 * or moved to a newer generation, so a zombie consumer cannot commit over its successor (KIP-447).
 */
export interface TransactionGroupMetadata {
  groupId: string
  /** Classic protocol: the generation id; consumer protocol: the member epoch. -1 outside a group. */
  generationId: number
  /** Empty outside a group. */
  memberId: string
  groupInstanceId: string | null
}

/**
 * Offsets committed with a transaction. As everywhere in samsa, `offset` is the next offset to read:
 * the last processed message's offset + 1.
 */
export type TransactionOffsets = readonly TopicPartitionOffset[]

/** Which generation of the transaction protocol a producer speaks with its coordinator. */
export type TransactionVersion = 1 | 2
