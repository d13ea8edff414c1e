/**
 * The one table of the API versions the client holds itself to, where it does not simply speak the highest
 * version both it and the broker support. Two kinds of entry:
 * - `versionCaps`: the highest version a request may go out as, because a later version changes something
 *   the client does not (yet) provide, most often topics named by id instead of by name;
 * - `firstVersions`: where a request or response changes shape, so callers build the form the negotiated
 *   version takes.
 * Every other request goes out at the highest common version (see `BrokerVersions.pick`).
 */

/** The highest version of each capped API the client sends. */
export const versionCaps = {
  /**
   * Fetch v13 names topics by id only. A fetch that includes a topic whose id the metadata did not give stays
   * at v12; one whose topics all have ids goes out at the highest version.
   */
  fetchByTopicName: 12,
  /** Produce v13 names topics by id only; v12 has every field the producer uses (KIP-951 leader hints too). */
  produce: 12,
  /** OffsetCommit v10 names topics by id; consumers and the admin hold names. */
  offsetCommit: 9,
  /** OffsetFetch v10 names topics by id; the admin, which asks through the batched form, stays below it. */
  offsetFetchByTopicName: 9,
  /** OffsetFetch v8 batches groups; a consumer asks about one group, and `requireStable` exists from v7. */
  offsetFetchSingleGroup: 7,
  /**
   * The last versions that mean "transaction protocol version 1" to the broker: a client in version 1 stays at
   * or below these (KIP-890; see producer/transactions/transaction-version.ts).
   */
  transactionV1: { produce: 11, endTxn: 4, txnOffsetCommit: 4, addPartitionsToTxn: 3 },
} as const

/** The first version of each API with the shape change a caller branches on. */
export const firstVersions = {
  /** Fetch v12 added `lastFetchedEpoch` to requests and `divergingEpoch` to responses (KIP-320, Kafka 2.7). */
  fetchWithLastFetchedEpoch: 12,
  /** OffsetFetch v8 takes a list of groups instead of one group id. */
  offsetFetchBatched: 8,
  /** FindCoordinator v4 takes a list of keys instead of one key. */
  findCoordinatorBatched: 4,
  /** LeaveGroup v3 takes a list of leaving members instead of one member id. */
  leaveGroupBatched: 3,
  /** The first versions that carry transaction protocol version 2 (KIP-890). */
  transactionV2: { produce: 12, endTxn: 5, txnOffsetCommit: 5 },
} as const
