/**
 * The topics of the in-process cluster: names, ids, partitions with their leader node and epoch, and the
 * topic configs it honours. The only owner of that state; handlers change it through the methods here.
 */

import { randomUUID } from 'node:crypto'
import { PartitionLog } from './partition-log.ts'
import { PartitionTransactions } from './partition-transactions.ts'
import { ProducerSequences } from './producer-sequences.ts'

export interface PartitionState {
  readonly topic: string
  readonly index: number
  readonly log: PartitionLog
  readonly producers: ProducerSequences
  readonly transactions: PartitionTransactions
  leader: number
  leaderEpoch: number
}

export interface TopicState {
  readonly name: string
  readonly id: string
  readonly partitions: PartitionState[]
  readonly configs: Map<string, string>
}

/** Topic names Kafka accepts: 1-249 characters of [a-zA-Z0-9._-], not `.` or `..`. */
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/

export class TopicStore {
  readonly #byName = new Map<string, TopicState>()
  readonly #byId = new Map<string, TopicState>()
  readonly #nodeIds: readonly number[]
  #placement = 0
  readonly #appendWaiters = new Set<() => void>()

  constructor(nodeIds: readonly number[]) {
    this.#nodeIds = nodeIds
  }

  /** Why `name` cannot be a topic name, or null if it can. */
  static invalidName(name: string): string | null {
    if (!LEGAL_TOPIC.test(name) || name === '.' || name === '..') {
      return `'${name}' is not a legal topic name: 1-249 characters of ASCII letters, digits, '.', '_' and '-'`
    }
    return null
  }

  get(name: string): TopicState | undefined {
    return this.#byName.get(name)
  }

  byId(id: string): TopicState | undefined {
    return this.#byId.get(id)
  }

  all(): TopicState[] {
    return [...this.#byName.values()]
  }

  partition(topic: string, index: number): PartitionState | undefined {
    return this.#byName.get(topic)?.partitions[index]
  }

  /** Creates a topic; leaders go round-robin over the nodes, continuing where the last topic stopped. */
  create(name: string, partitions: number, configs: Map<string, string> = new Map()): TopicState {
    const topic: TopicState = { name, id: randomUUID(), partitions: [], configs }
    this.#byName.set(name, topic)
    this.#byId.set(topic.id, topic)
    this.addPartitions(name, partitions)
    return topic
  }

  /** Grows a topic to `total` partitions. */
  addPartitions(name: string, total: number): void {
    const topic = this.#byName.get(name)
    if (topic === undefined) return
    while (topic.partitions.length < total) {
      const leader = this.#nodeIds[this.#placement++ % this.#nodeIds.length]!
      topic.partitions.push({
        topic: name,
        index: topic.partitions.length,
        log: new PartitionLog(),
        producers: new ProducerSequences(),
        transactions: new PartitionTransactions(),
        leader,
        leaderEpoch: 0,
      })
    }
  }

  delete(name: string): boolean {
    const topic = this.#byName.get(name)
    if (topic === undefined) return false
    this.#byName.delete(name)
    this.#byId.delete(topic.id)
    this.notifyAppend()
    return true
  }

  /** Moves a partition's leadership to `node`, bumping the leader epoch as a real election does. */
  moveLeader(topic: string, index: number, node: number): void {
    const partition = this.partition(topic, index)
    if (partition === undefined) throw new RangeError(`no partition ${topic}-${index}`)
    partition.leader = node
    this.bumpLeaderEpoch(topic, index)
  }

  /** A new leader epoch on the same leader (a re-election), recorded in the log's epoch history. */
  bumpLeaderEpoch(topic: string, index: number): number {
    const partition = this.partition(topic, index)
    if (partition === undefined) throw new RangeError(`no partition ${topic}-${index}`)
    partition.leaderEpoch += 1
    partition.log.beginEpoch(partition.leaderEpoch)
    return partition.leaderEpoch
  }

  /**
   * An unclean leader change: the log is cut at `offset` (records from there on are lost) and a new leader
   * epoch begins at the new end, so consumers that read past the cut find their position diverged (KIP-320).
   */
  truncate(topic: string, index: number, offset: bigint): number {
    const partition = this.partition(topic, index)
    if (partition === undefined) throw new RangeError(`no partition ${topic}-${index}`)
    partition.log.truncateTo(offset)
    return this.bumpLeaderEpoch(topic, index)
  }

  /** Wakes long-polling fetches: something was appended (or deleted) somewhere. */
  notifyAppend(): void {
    const waiters = [...this.#appendWaiters]
    this.#appendWaiters.clear()
    for (const wake of waiters) wake()
  }

  /** Resolves at the next append, or after `ms`, whichever is first. */
  waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.#appendWaiters.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#appendWaiters.add(wake)
    })
  }
}
