/** What the chaos harness, its member processes and its checker share. */

/** The processing guarantee a scenario runs members with, and checks them against. */
export type Guarantee = 'at-least-once' | 'at-most-once' | 'exactly-once'

/** How a member process consumes: the run() configuration behind each guarantee. */
export type MemberMode =
  /** ack 'after-success', commits on a short cadence. */
  | 'at-least-once'
  /** ack 'before-processing': committed before the handler runs. */
  | 'at-most-once'
  /** run({ transactional }): each input becomes two output records in the unit's transaction. */
  | 'exactly-once-txn'
  /** run({ offsetStore }) with PostgresOffsetStore: each input becomes one row in the unit's DB transaction. */
  | 'exactly-once-pg'

export type GroupProtocol = 'classic' | 'consumer'
export type Ordering = 'partition' | 'key' | 'none'

/** Everything a member process needs, passed as one JSON argument. */
export interface MemberOptions {
  bootstrap: string
  topic: string
  group: string
  mode: MemberMode
  groupProtocol: GroupProtocol
  ordering: Ordering
  /** The member's ledger file (appended, fsynced line by line). */
  ledger: string
  /** Commit cadence of the Kafka-committing modes. */
  commitEveryMs: number
  /** Simulated work per message, so kills and faults land while messages are in flight. */
  workMs: number
  /** In-partition concurrency with ordering 'none' (maxInFlightPerPartition). */
  inFlightPerPartition: number
  /** exactly-once-txn: the output topic and this member's transactional id. */
  outputTopic?: string
  transactionalId?: string
  /** exactly-once-pg: the results table. */
  table?: string
  /** Route every broker connection through an in-process fault proxy the parent drives over IPC. */
  faultProxy?: boolean
  /** Client request timeout; the network scenario lowers it so half-open sockets are noticed sooner. */
  requestTimeoutMs?: number
}

/** One row of the published report. */
export interface ResultRow {
  scenario: string
  protocol: GroupProtocol | 'n/a'
  guarantee: Guarantee
  produced: number
  lost: number
  duplicated: number
  /** The deepest rewind: how many offsets before the furthest processed one a re-delivery started. */
  maxDuplicateWindow: number
  /** The most records processed but not yet committed at any time (observed through OffsetFetch). */
  maxUncommittedWindow: number
  backwardsCommits: number
  /**
   * Members whose graceful stop() ended with UncommittedOffsetsError: the group had moved partitions on
   * (e.g. while a broker came back), so what they had finished there was left for the next owner to redo.
   * Not a failure (the checker bounds those re-deliveries), but shown rather than hidden. Absent in runs
   * recorded before it was counted.
   */
  stopsLeftUncommitted?: number
  abortedReads: number
  tornTransactions: number
  nonMonotonic: number
  passed: boolean
  /** Faults injected (kills, restarts, cuts...), for the reader of the report. */
  faults: number
  durationMs: number
  /** Why it failed, or what to know about the row. */
  notes: string[]
  /** What happened that is not a failure but worth reading (e.g. which stops left records uncommitted). */
  remarks?: string[]
}
