/**
 * Checks positions against the leader's log after a leader change (KIP-320).
 *
 * A position carries the leader epoch of the record before it. When that epoch is older than the partition's
 * current one, the log may have been truncated below the position on the new leader (an unclean election, or
 * the old leader had records no follower copied). OffsetForLeaderEpoch asks the leader where the position's
 * epoch ended in its log: an end offset below the position means the records between them are gone.
 *
 * The same question is answered without a round trip by Fetch v12+: the fetcher sends the epoch of the last
 * batch it fetched (`lastFetchedEpoch`), and a leader whose log parted from that history answers with a
 * `divergingEpoch` instead of records ({@link handleDivergingEpoch}).
 *
 * Then, rather than silently skipping or re-reading:
 * - `autoOffsetReset: 'none'`: the consumer reports a DataLossError naming the partition, the consumed offset
 *   and the offset where the log now diverges, and continues from the divergence point;
 * - otherwise the position moves back to the divergence point, with a warning in the log, as Java does.
 */

import { DataLossError, type KafkaError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { errorForCode } from '../../protocol/errors/broker-error.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  OffsetForLeaderEpoch,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/messages/offset-for-leader-epoch.ts'
import { type FetchCluster, partitionInfo } from '../consumer-cluster.ts'
import type { AutoOffsetReset } from '../consumer-options.ts'
import type { FetchPosition, PartitionState, SubscriptionState } from '../subscription-state.ts'

const CONSUMER_REPLICA_ID = -1

export interface PositionValidatorInit {
  cluster: FetchCluster
  logger: Logger
  retryBackoffMs: number
  /** Reports an error to the application (the next read throws it). */
  report: (error: KafkaError) => void
}

/** A validator for `Consumer.positionValidator`. */
export function createPositionValidator(init: PositionValidatorInit) {
  return async (states: PartitionState[], subscriptions: SubscriptionState): Promise<void> => {
    const byLeader = new Map<number, { state: PartitionState; generation: number }[]>()
    let retryLater = false
    for (const state of states) {
      const epoch = state.position?.leaderEpoch
      const info = partitionInfo(init.cluster.currentMetadata, state.topic, state.partition)
      // Without an epoch (old commit, old broker) there is nothing to compare: the position stands.
      if (epoch === undefined || info === undefined || info.leaderEpoch < 0) {
        if (epoch === undefined) subscriptions.completeValidation(state, state.generation)
        else retryLater = true
        continue
      }
      const list = byLeader.get(info.leaderId) ?? []
      list.push({ state, generation: state.generation })
      byLeader.set(info.leaderId, list)
    }
    if (retryLater) {
      await init.cluster.refreshMetadata([...new Set(states.map((s) => s.topic))]).catch(() => {})
    }
    await Promise.all(
      [...byLeader].map(async ([leaderId, entries]) => {
        try {
          const connection = await init.cluster.connectionTo(leaderId)
          const topics = new Map<
            string,
            { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]
          >()
          for (const { state } of entries) {
            const list = topics.get(state.topic) ?? []
            list.push({
              partition: state.partition,
              currentLeaderEpoch:
                partitionInfo(init.cluster.currentMetadata, state.topic, state.partition)?.leaderEpoch ?? -1,
              leaderEpoch: state.position?.leaderEpoch ?? -1,
            })
            topics.set(state.topic, list)
          }
          const response = await connection.request(OffsetForLeaderEpoch, {
            replicaId: CONSUMER_REPLICA_ID,
            topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
          })
          if (!apply(response, entries, subscriptions, init, connection.address)) retryLater = true
        } catch (error) {
          init.logger.debug('position validation failed; will retry', { error })
          retryLater = true
        }
      }),
    )
    if (retryLater) {
      await init.cluster.refreshMetadata([...new Set(states.map((s) => s.topic))]).catch(() => {})
      // Validation reruns on the next read; pausing here keeps a broken leader from being asked in a loop.
      await new Promise((resolve) => setTimeout(resolve, init.retryBackoffMs))
    }
  }
}

/** Applies the answers; false when some partition must be asked again (leader moved, epoch fenced...). */
function apply(
  response: OffsetForLeaderEpochResponse,
  entries: { state: PartitionState; generation: number }[],
  subscriptions: SubscriptionState,
  init: PositionValidatorInit,
  broker: string,
): boolean {
  let complete = true
  const byKey = new Map(entries.map((e) => [e.state.key, e]))
  for (const topic of response.topics) {
    for (const answer of topic.partitions) {
      const entry = byKey.get(`${topic.topic}:${answer.partition}`)
      if (entry === undefined) continue
      const { state, generation } = entry
      if (answer.errorCode !== ErrorCode.NONE) {
        const error = errorForCode(answer.errorCode, {
          broker,
          topic: topic.topic,
          partition: answer.partition,
        })
        if (error?.retriable) complete = false
        else if (error !== null) init.report(error)
        continue
      }
      const position = state.position
      if (position === undefined) continue
      if (answer.endOffset < 0n || answer.leaderEpoch < 0) {
        // The leader knows no epoch at or below ours: nothing of the position's history is left to compare.
        subscriptions.requestReset(state)
        continue
      }
      if (answer.endOffset >= position.offset) {
        subscriptions.completeValidation(state, generation)
        continue
      }
      const divergence = { offset: answer.endOffset, leaderEpoch: answer.leaderEpoch }
      if (subscriptions.completeValidation(state, generation, divergence)) {
        reportTruncation(
          state,
          position,
          divergence,
          'OffsetForLeaderEpoch',
          subscriptions.autoOffsetReset,
          init,
        )
      }
    }
  }
  return complete
}

/** Where a leader says an epoch of the consumer's history ends in its log: a Fetch's `divergingEpoch`. */
export interface DivergingEpoch {
  epoch: number
  endOffset: bigint
}

/**
 * What a diverging epoch means for a partition whose application has been handed everything before
 * `position`:
 * - `unknown`: the leader named no end offset, so where the logs part is not known (-1 is "unknown", not
 *   "everything is gone"); the position must be checked with OffsetForLeaderEpoch;
 * - `intact`: the logs part at or after the position, so only data fetched ahead and not yet delivered came
 *   from the abandoned history; fetching resumes at `resume`;
 * - `truncated`: records from `resume.offset` up to the position were delivered and are no longer in the log.
 */
export type DivergenceOutcome =
  | { kind: 'unknown' }
  | { kind: 'intact'; resume: FetchPosition }
  | { kind: 'truncated'; resume: FetchPosition }

/** Classifies a Fetch response's diverging epoch against the delivered position. Pure; see {@link DivergenceOutcome}. */
export function classifyDivergence(position: FetchPosition, diverging: DivergingEpoch): DivergenceOutcome {
  if (diverging.endOffset < 0n || diverging.epoch < 0) return { kind: 'unknown' }
  if (diverging.endOffset < position.offset) {
    return { kind: 'truncated', resume: { offset: diverging.endOffset, leaderEpoch: diverging.epoch } }
  }
  // The position stays. Its epoch is capped at the leader's: an epoch the leader never had would make the
  // next fetch from here diverge again, forever.
  const leaderEpoch =
    position.leaderEpoch === undefined ? undefined : Math.min(position.leaderEpoch, diverging.epoch)
  return { kind: 'intact', resume: { offset: position.offset, leaderEpoch } }
}

export interface DivergenceHandlerInit {
  logger: Logger
  /** Reports an error to the application (the next read throws it). */
  report: (error: KafkaError) => void
}

/**
 * Acts on a Fetch response (v12+) whose partition carries a diverging epoch: the leader's log no longer agrees
 * with what was fetched, because it was truncated after a leader change. Whatever was fetched beyond the
 * divergence is dropped (the position moves, which discards buffered data); records already delivered
 * beyond it are data loss, reported per autoOffsetReset as the OffsetForLeaderEpoch path does.
 *
 * Returns true when the partition went back to awaiting validation (the caller must get it validated).
 */
export function handleDivergingEpoch(
  state: PartitionState,
  diverging: DivergingEpoch,
  subscriptions: SubscriptionState,
  init: DivergenceHandlerInit,
): boolean {
  const position = state.position
  if (position === undefined) return false
  const outcome = classifyDivergence(position, diverging)
  switch (outcome.kind) {
    case 'unknown':
      init.logger.info('fetch reported a diverging epoch without an end offset; validating the position', {
        topic: state.topic,
        partition: state.partition,
        offset: position.offset,
        epoch: diverging.epoch,
      })
      subscriptions.requestValidation(state)
      return true
    case 'intact':
      init.logger.debug('fetch reported a diverging epoch after the position; refetching from it', {
        topic: state.topic,
        partition: state.partition,
        offset: position.offset,
        divergenceOffset: diverging.endOffset,
        epoch: diverging.epoch,
      })
      subscriptions.seek(state, outcome.resume)
      return false
    case 'truncated':
      subscriptions.seek(state, outcome.resume)
      reportTruncation(
        state,
        position,
        outcome.resume,
        'a Fetch diverging epoch',
        subscriptions.autoOffsetReset,
        init,
      )
      return false
  }
}

/**
 * Tells the application that the records from `divergence` up to `position`, which it was handed, are gone
 * from the log: a DataLossError with autoOffsetReset 'none', a warning otherwise. Either way the position
 * has already moved to the divergence point.
 */
function reportTruncation(
  state: PartitionState,
  position: FetchPosition,
  divergence: FetchPosition,
  /** Which check found it, so an operator reading the message knows what the leader answered. */
  detectedBy: string,
  autoOffsetReset: AutoOffsetReset,
  init: DivergenceHandlerInit,
): void {
  const message =
    `log truncation detected on ${state.topic}-${state.partition}: the consumer's position ${position.offset} ` +
    `(leader epoch ${position.leaderEpoch ?? 'unknown'}) is beyond the end of that epoch on the current leader ` +
    `(${divergence.offset}, epoch ${divergence.leaderEpoch}); records ${divergence.offset}..${position.offset - 1n} ` +
    `were lost or replaced after a leader change (detected by ${detectedBy})`
  if (autoOffsetReset === 'none') {
    init.report(
      new DataLossError(`${message}. Reading continues at ${divergence.offset}.`, {
        topic: state.topic,
        partition: state.partition,
        consumedOffset: position.offset,
        resetOffset: divergence.offset,
      }),
    )
  } else {
    init.logger.warn(`${message}; resetting to ${divergence.offset}`, {
      topic: state.topic,
      partition: state.partition,
      consumedOffset: position.offset,
      resetOffset: divergence.offset,
    })
  }
}
