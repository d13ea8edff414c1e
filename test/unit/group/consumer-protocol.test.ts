import { describe, expect, it } from 'vitest'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/consumer/group/consumer-protocol.ts'

// Fixtures are the bytes kafka-clients 4.3.1's ConsumerProtocol produces for the same values.
const subscriptionV3 = '000300000001000161ffffffff0000000100016100000002000000000000000200000005ffff'
const subscriptionV0 = '0000000000020002743100027432000000020102'
const assignmentV3 = '0003000000010001610000000100000001ffffffff'

describe('consumer protocol subscription', () => {
  it('encodes v3 with owned partitions, generation and a null rack exactly as the Java client', () => {
    const bytes = encodeSubscription({
      topics: ['a'],
      userData: null,
      ownedPartitions: [
        { topic: 'a', partition: 2 },
        { topic: 'a', partition: 0 },
      ],
      generationId: 5,
      rackId: null,
    })
    expect(bytes.toString('hex')).toBe(subscriptionV3)
  })

  it('decodes v3', () => {
    expect(decodeSubscription(Buffer.from(subscriptionV3, 'hex'))).toEqual({
      topics: ['a'],
      userData: null,
      ownedPartitions: [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 2 },
      ],
      generationId: 5,
      rackId: null,
    })
  })

  it('round-trips v0 with user data and defaults the later fields', () => {
    const decoded = decodeSubscription(Buffer.from(subscriptionV0, 'hex'))
    expect(decoded).toEqual({
      topics: ['t1', 't2'],
      userData: Buffer.from([1, 2]),
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    })
    expect(encodeSubscription(decoded, 0).toString('hex')).toBe(subscriptionV0)
  })

  it('reads a newer version with the newest known layout, ignoring appended fields', () => {
    const v4 = Buffer.concat([
      Buffer.from(`0004${subscriptionV3.slice(4)}`, 'hex'),
      Buffer.from([0xaa, 0xbb]),
    ])
    expect(decodeSubscription(v4).generationId).toBe(5)
  })

  it('rejects truncated bytes', () => {
    expect(() => decodeSubscription(Buffer.from(subscriptionV3.slice(0, 20), 'hex'))).toThrow(/truncated/)
  })
})

describe('consumer protocol assignment', () => {
  it('encodes and decodes v3 as the Java client does', () => {
    const bytes = encodeAssignment({ partitions: [{ topic: 'a', partition: 1 }], userData: null })
    expect(bytes.toString('hex')).toBe(assignmentV3)
    expect(decodeAssignment(bytes)).toEqual({ partitions: [{ topic: 'a', partition: 1 }], userData: null })
  })

  it('treats the empty assignment the coordinator sends to members left out as no partitions', () => {
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ partitions: [], userData: null })
  })
})
