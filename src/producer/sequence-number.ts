/**
 * Producer sequence numbers (KIP-98): an int32 per producer and partition that the broker checks for gaps
 * and duplicates. Kept apart from the idempotence bookkeeping so that a batch can renumber itself without
 * knowing about that bookkeeping.
 */

const maxSequence = 0x7fffffff

/** `sequence + increment`, wrapping past int32 max to 0 as the broker does. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > maxSequence - increment ? increment - (maxSequence - sequence) - 1 : sequence + increment
}
