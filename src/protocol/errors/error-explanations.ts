/**
 * samsa's own explanations of the broker error codes users meet most, each saying what it means for the
 * caller and what to do. Codes without an entry are explained by their constant name alone.
 */

const explanations: ReadonlyMap<number, string> = new Map([
  [-1, 'the broker failed in a way it did not classify; check the broker log'],
  [1, 'the requested offset is outside the partition log; seek to a valid offset or set autoOffsetReset'],
  [2, 'a stored record failed its integrity check on the broker'],
  [
    3,
    'the topic or partition does not exist (or metadata is not yet up to date); create it or check the name',
  ],
  [5, 'the partition has no leader right now; the client retries after refreshing metadata'],
  [6, 'this broker no longer leads the partition; the client retries against the new leader'],
  [7, 'the broker did not finish the request within its timeout'],
  [10, 'the record batch is larger than the broker accepts (message.max.bytes / max.message.bytes)'],
  [12, 'the offset metadata string is longer than the broker allows (offset.metadata.max.bytes)'],
  [13, 'the connection was closed by the broker before the request completed'],
  [14, 'the group coordinator is still loading offsets; the client retries'],
  [15, 'the group coordinator is not available yet; the client retries'],
  [16, 'this broker is not the coordinator for the group or transaction; the client looks it up again'],
  [17, 'the topic name is not legal'],
  [18, 'the batch exceeds the broker segment size'],
  [
    19,
    'fewer in-sync replicas than min.insync.replicas; writes with acks=all are refused until replicas catch up',
  ],
  [20, 'the write was stored on the leader but fewer replicas than required acknowledged it'],
  [22, 'the member belongs to an older generation of the group; it must rejoin before committing'],
  [24, 'the group id is not legal'],
  [25, 'the group does not know this member id; it must rejoin'],
  [26, 'the session timeout is outside the broker range (group.min/max.session.timeout.ms)'],
  [27, 'the group is rebalancing; rejoin, then commit again for the partitions still owned'],
  [29, 'not authorized for this topic; check ACLs'],
  [30, 'not authorized for this group; check ACLs'],
  [31, 'not authorized for this cluster operation; check ACLs'],
  [35, 'the broker does not support this API version'],
  [36, 'the topic already exists'],
  [37, 'the partition count is not valid'],
  [38, 'the replication factor is larger than the number of brokers or otherwise not valid'],
  [41, 'this broker is not the controller; the client retries against the controller'],
  [42, 'the broker rejected the request as malformed'],
  [45, 'the producer sent a sequence number the broker did not expect'],
  [46, 'the producer sent a batch the broker already has'],
  [47, 'the producer epoch is older than the current one'],
  [51, 'another transactional operation of this producer is still being completed; the client retries'],
  [58, 'SASL authentication failed; check the user name and password'],
  [59, 'the broker has no state for this producer id'],
  [72, 'the broker has no listener of the name this connection used; check advertised.listeners'],
  [74, 'the client leader epoch is older than the broker leader epoch; metadata is refreshed'],
  [75, 'the client leader epoch is newer than the broker leader epoch; metadata is refreshed'],
  [76, 'the compression codec is not supported by the broker for this request version'],
  [78, 'the leader cannot serve this offset yet, typically just after a leader election; the client retries'],
  [79, 'the member must rejoin with the member id the coordinator returned'],
  [82, 'another member with the same groupInstanceId replaced this one'],
  [
    88,
    'committed offsets are pending in an unfinished transaction; the client retries until they are stable',
  ],
  [90, 'another producer with the same transactional id took over; close this producer'],
  [100, 'the topic id is not known to the broker; metadata is refreshed'],
  [110, 'the member epoch is stale; the member must rejoin (consumer protocol)'],
  [120, 'the transaction can only be aborted; abort it and start again'],
])

/** A one-line explanation of a broker error code in samsa's words, or `undefined` if there is none. */
export function explainErrorCode(code: number): string | undefined {
  return explanations.get(code)
}
