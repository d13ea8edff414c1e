import { describe, expect, it } from 'vitest'
import { commitTopics, fetchTopics } from '../../../src/protocol/offsets-by-topic.ts'

describe('commitTopics', () => {
  it('groups offsets under their topic in first-seen order, with the defaults for epoch and metadata', () => {
    expect(
      commitTopics([
        { topic: 'b', partition: 1, offset: 10n },
        { topic: 'a', partition: 0, offset: 5n, leaderEpoch: 3, metadata: 'm' },
        { topic: 'b', partition: 0, offset: 7n },
      ]),
    ).toEqual([
      {
        name: 'b',
        partitions: [
          { partitionIndex: 1, committedOffset: 10n, committedLeaderEpoch: -1, committedMetadata: '' },
          { partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: '' },
        ],
      },
      {
        name: 'a',
        partitions: [
          { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 3, committedMetadata: 'm' },
        ],
      },
    ])
  })

  it('gives nothing for no offsets', () => {
    expect(commitTopics([])).toEqual([])
  })
})

describe('fetchTopics', () => {
  it('groups partitions under their topic and asks for a repeated partition once', () => {
    expect(
      fetchTopics([
        { topic: 't', partition: 2 },
        { topic: 'u', partition: 0 },
        { topic: 't', partition: 2 },
        { topic: 't', partition: 0 },
      ]),
    ).toEqual([
      { name: 't', partitionIndexes: [2, 0] },
      { name: 'u', partitionIndexes: [0] },
    ])
  })
})
