/**
 * `samsa consume <topic> --share-group G`: reads as a member of share group G (KIP-932). Each printed record
 * is acknowledged with `--ack`: `accept` (the default; the record is done), `release` (it is handed out
 * again, to this or another member, with its delivery count one higher) or `reject` (archived, never
 * delivered again). Records fetched but not printed (a run stopped by `--count`) are released, so they are
 * not lost to the group. In JSON output each line also carries `deliveryCount`.
 *
 * Where a new share group starts is the group's config `share.auto.offset.reset` (`latest` unless set), and
 * partitions are shared, not assigned, so the position flags do not apply.
 */

import type { Cluster } from '../../cluster/cluster.ts'
import { ConfigError } from '../../common/errors.ts'
import { ShareConsumer } from '../../consumer/share/share-consumer.ts'
import type { ShareMessage } from '../../consumer/share/share-message.ts'

export const shareAcks = ['accept', 'release', 'reject'] as const
export type ShareAck = (typeof shareAcks)[number]

/** The flags `consume` takes that make no sense in a share group, with the value each was given. */
export function rejectNonShareFlags(flags: Record<string, unknown>): void {
  const conflicting: Array<[string, unknown]> = [
    ['--group', flags.group],
    ['--commit', flags.commit],
    ['--group-protocol', flags.groupProtocol],
    ['--from-beginning', flags.fromBeginning],
    ['--offset', flags.offset],
    ['--timestamp', flags.timestamp],
    ['--partition', flags.partition],
    ['--isolation', flags.isolation === 'read_uncommitted' ? undefined : flags.isolation],
  ]
  for (const [flag, value] of conflicting) {
    if (value !== undefined) {
      throw new ConfigError(
        flag,
        'cannot be combined with --share-group: a share group shares every partition among its members and starts where its share.auto.offset.reset config says',
      )
    }
  }
}

export interface ShareConsumeOptions {
  topic: string
  group: string
  ack: ShareAck
  count: number | undefined
  timeoutMs: number | undefined
  pollTimeoutMs: number
  print(message: ShareMessage): Promise<void>
  stopping(): boolean
}

/** Prints and acknowledges records until the count, the idle timeout or a stop; returns how many it printed. */
export async function consumeShared(cluster: Cluster, options: ShareConsumeOptions): Promise<number> {
  const consumer = new ShareConsumer(cluster, {
    groupId: options.group,
    acknowledgement: 'explicit',
    // A bounded run acquires no more than it may print: in the default batch-optimised mode the broker hands
    // out whole batches, and releasing the unprinted rest still counts as a delivery of each (seen: three
    // --count runs over one 10-record batch took some records to delivery 3 though printed once).
    ...(options.count === undefined
      ? {}
      : { maxPollRecords: Math.min(options.count, 500), acquireMode: 'record-limit' as const }),
  })
  let printed = 0
  try {
    consumer.subscribe([options.topic])
    let lastRecordAt = performance.now()
    while (!options.stopping()) {
      const messages = await consumer.poll({ timeoutMs: options.pollTimeoutMs })
      if (messages.length > 0) lastRecordAt = performance.now()
      for (const message of messages) {
        const wanted = !options.stopping() && (options.count === undefined || printed < options.count)
        if (!wanted) {
          message.nack()
          continue
        }
        await options.print(message)
        printed++
        if (options.ack === 'accept') message.ack()
        else if (options.ack === 'release') message.nack()
        else message.reject()
      }
      if (options.count !== undefined && printed >= options.count) break
      if (options.timeoutMs !== undefined && performance.now() - lastRecordAt >= options.timeoutMs) break
    }
    const failed = (await consumer.commit()).filter((result) => result.error !== null)
    if (failed.length > 0) throw failed[0]!.error!
  } finally {
    await consumer.close()
  }
  return printed
}
