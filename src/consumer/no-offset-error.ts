/** The error for a partition that has no position to start from and may not pick one itself. */

import { OffsetOutOfRangeError } from '../common/errors.ts'
import type { TopicPartition } from '../common/types.ts'

/**
 * A partition has no position (nothing was committed for it, and the application did not seek) and
 * `autoOffsetReset` is `none`. The Java client's NoOffsetForPartitionException.
 *
 * It is an {@link OffsetOutOfRangeError}, so one `catch` handles both ways of "the consumer does not know
 * where to read"; `offset` is undefined because there was no offset at all.
 */
export class NoOffsetForPartitionError extends OffsetOutOfRangeError {
  override name = 'NoOffsetForPartitionError'

  constructor(tp: TopicPartition) {
    super(
      `Partition ${tp.topic}-${tp.partition} has no position: there is no committed offset and autoOffsetReset ` +
        "is 'none'. seek() to an offset (or seekToBeginning/seekToEnd) before consuming it",
      { topic: tp.topic, partition: tp.partition },
    )
  }
}
