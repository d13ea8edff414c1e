/**
 * Which transaction protocol the cluster runs: version 2 (KIP-890) when the `transaction.version` feature
 * is finalized at 2 or more, else version 1.
 *
 * The two differ on the wire. In version 1 the client registers each partition with AddPartitionsToTxn
 * before producing to it, and the group with AddOffsetsToTxn before TxnOffsetCommit. In version 2 the
 * broker adds partitions itself when it sees a transactional Produce v12+ or TxnOffsetCommit v5+, and
 * every EndTxn v5+ bumps the producer epoch, so a late write of a finished transaction can never join the
 * next one. Clients signal version 1 by staying at or below Produce v11, EndTxn v4 and TxnOffsetCommit v4.
 */

import { CLIENT_SOFTWARE_NAME, CLIENT_SOFTWARE_VERSION } from '../../network/api-versions-negotiation.ts'
import type { Connection } from '../../network/connection.ts'
import { ApiVersions } from '../../protocol/messages/api-versions.ts'
import { EndTxn } from '../../protocol/messages/end-txn.ts'
import { Produce } from '../../protocol/messages/produce.ts'
import { TxnOffsetCommit } from '../../protocol/messages/txn-offset-commit.ts'
import { firstVersions, versionCaps } from '../../protocol/version-caps.ts'
import type { TransactionVersion } from './types.ts'

/** The last versions of each API that mean "transaction version 1" to the broker. */
export const transactionV1MaxVersions = versionCaps.transactionV1
/** The first versions that carry transaction version 2. */
export const transactionV2MinVersions = firstVersions.transactionV2

/** The finalized level of `transaction.version` in an ApiVersions answer, 0 when the feature is absent. */
export function finalizedTransactionVersion(
  features: readonly { name: string; maxVersionLevel: number }[],
): number {
  return features.find((feature) => feature.name === 'transaction.version')?.maxVersionLevel ?? 0
}

/**
 * Asks `connection`'s broker (the transaction coordinator) which version to speak. Version 2 also needs
 * the broker to accept the version-2 forms of Produce, EndTxn and TxnOffsetCommit.
 */
export async function detectTransactionVersion(connection: Connection): Promise<TransactionVersion> {
  const versions = connection.versions
  const capable =
    versions.supports(Produce, transactionV2MinVersions.produce) &&
    versions.supports(EndTxn, transactionV2MinVersions.endTxn) &&
    versions.supports(TxnOffsetCommit, transactionV2MinVersions.txnOffsetCommit)
  if (!capable) return 1
  // The connection negotiated versions once; the finalized features can change (an upgrade), so ask now.
  const answer = await connection.request(ApiVersions, {
    clientSoftwareName: CLIENT_SOFTWARE_NAME,
    clientSoftwareVersion: CLIENT_SOFTWARE_VERSION,
  })
  return finalizedTransactionVersion(answer.finalizedFeatures) >= 2 ? 2 : 1
}
