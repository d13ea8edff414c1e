/**
 * The one list of error codes that mean "the metadata this request was routed by is out of date": the leader
 * moved, the topic was recreated, or the broker asked is not the one that should have been asked. Whoever
 * sees one of them refreshes metadata before retrying; the producer's sender, the cluster's retry loop and the
 * consumer's fetcher all ask this module.
 *
 * The base is generated: every code whose Java exception extends InvalidMetadataException, which is the Java
 * client's own rule for the same decision. Two codes are added on purpose because both hand-typed lists this
 * module replaced had them and a refresh is the right first step for each:
 * - UNKNOWN_LEADER_EPOCH: the broker has not yet seen the leader epoch our metadata carries (ours is newer,
 *   or it is lagging); a fresh view settles which of us is behind.
 * - NOT_CONTROLLER: an admin request reached a broker that is no longer the controller.
 * FENCED_LEADER_EPOCH is in the list; the fetcher handles it first (it also revalidates the position).
 */

import { ErrorCode, errorCodes } from './error-codes.ts'

const staleMetadataCodes: ReadonlySet<number> = new Set([
  ...errorCodes.filter((info) => info.invalidMetadata).map((info) => info.code),
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.NOT_CONTROLLER,
])

/** Whether a response's error `code` means metadata must be refreshed before the request is retried. */
export function isStaleMetadataCode(code: number): boolean {
  return staleMetadataCodes.has(code)
}
