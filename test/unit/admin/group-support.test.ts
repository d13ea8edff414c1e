import { describe, expect, it } from 'vitest'
import { describedGroup, partitionsToReset } from '../../../src/admin/group-support.ts'
import { BrokerError, ConfigError, KafkaError } from '../../../src/common/errors.ts'
import type { Connection } from '../../../src/network/connection.ts'
import { ErrorCode } from '../../../src/protocol/errors/error-codes.ts'

// describedGroup only reads the connection's address, for the errors it raises.
const connection = { address: '127.0.0.1:9092' } as Connection

describe('describedGroup: the one entry of a Describe*Group response', () => {
  it('returns the entry for the group asked about', () => {
    const groups = [
      { groupId: 'other', errorCode: 0, errorMessage: null },
      { groupId: 'orders', errorCode: 0, errorMessage: null, state: 'Stable' },
    ]
    expect(describedGroup(groups, 'orders', 'DescribeGroups', connection)).toBe(groups[1])
  })

  it('reports a response that leaves the group out as a broker fault, naming the request and the broker', () => {
    const failure = (() => {
      try {
        describedGroup([], 'orders', 'ShareGroupDescribe', connection)
      } catch (error) {
        return error
      }
    })()
    expect(failure).toBeInstanceOf(KafkaError)
    expect((failure as KafkaError).message).toBe(
      'the broker did not report on group "orders" in its ShareGroupDescribe response',
    )
    expect((failure as KafkaError).broker).toBe('127.0.0.1:9092')
  })

  it("throws the entry's error code as the broker's error, with the broker's message or else the detail", () => {
    const refused = [
      { groupId: 'orders', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null },
    ]
    expect(() =>
      describedGroup(
        refused,
        'orders',
        'DescribeGroups',
        connection,
        () => 'not allowed to describe "orders"',
      ),
    ).toThrow(BrokerError)
    expect(() =>
      describedGroup(
        refused,
        'orders',
        'DescribeGroups',
        connection,
        () => 'not allowed to describe "orders"',
      ),
    ).toThrow(/not allowed to describe "orders"/)
    const explained = [
      { groupId: 'orders', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'no ACL' },
    ]
    expect(() => describedGroup(explained, 'orders', 'DescribeGroups', connection, () => 'unused')).toThrow(
      /no ACL/,
    )
  })
})

describe('partitionsToReset', () => {
  it('is every partition when none are named, and the named ones otherwise', () => {
    expect(partitionsToReset('t', [0, 1, 2])).toEqual([0, 1, 2])
    expect(partitionsToReset('t', [0, 1, 2], [2, 0])).toEqual([2, 0])
  })

  it('refuses a partition the topic does not have, naming the option, the topic and its partition count', () => {
    expect(() => partitionsToReset('orders', [0, 1], [1, 5])).toThrow(ConfigError)
    expect(() => partitionsToReset('orders', [0, 1], [1, 5])).toThrow(
      /partitions.*topic "orders" has 2 partition\(s\); 5 is not one/,
    )
  })
})
