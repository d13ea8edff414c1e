import { describe, expect, it } from 'vitest'
import { ErrorCode, errorCodes } from '../../../src/protocol/errors/error-codes.ts'
import { isStaleMetadataCode } from '../../../src/protocol/errors/stale-metadata.ts'

describe('generated error-code constants', () => {
  it('name every code of the table with its own number, and nothing else', () => {
    expect(Object.keys(ErrorCode)).toHaveLength(errorCodes.length)
    for (const info of errorCodes) expect(ErrorCode[info.name as keyof typeof ErrorCode]).toBe(info.code)
    expect(ErrorCode.NOT_COORDINATOR).toBe(16)
    expect(ErrorCode.NONE).toBe(0)
  })

  it("flag the Java client's InvalidMetadataException family", () => {
    const flagged = errorCodes.filter((info) => info.invalidMetadata).map((info) => info.name)
    expect(flagged).toEqual(
      expect.arrayContaining([
        'UNKNOWN_TOPIC_OR_PARTITION',
        'LEADER_NOT_AVAILABLE',
        'NOT_LEADER_OR_FOLLOWER',
        'REPLICA_NOT_AVAILABLE',
        'NETWORK_EXCEPTION',
        'KAFKA_STORAGE_ERROR',
        'FENCED_LEADER_EPOCH',
        'UNKNOWN_TOPIC_ID',
        'INCONSISTENT_TOPIC_ID',
      ]),
    )
    expect(flagged).not.toContain('NOT_COORDINATOR')
    expect(flagged).not.toContain('OFFSET_OUT_OF_RANGE')
  })
})

describe('isStaleMetadataCode', () => {
  it('covers every code of the two lists it replaced (cluster retry and fetcher)', () => {
    const clusterList = [6, 3, 5, 13, 41, 56, 74, 75, 100, 103]
    const fetcherList = [3, 5, 6, 9, 56, 75, 100, 103]
    for (const code of [...clusterList, ...fetcherList]) expect(isStaleMetadataCode(code)).toBe(true)
  })

  it('leaves out codes that a metadata refresh does not help', () => {
    for (const code of [
      ErrorCode.NONE,
      ErrorCode.OFFSET_OUT_OF_RANGE,
      ErrorCode.NOT_COORDINATOR,
      ErrorCode.REBALANCE_IN_PROGRESS,
      ErrorCode.MESSAGE_TOO_LARGE,
      ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    ]) {
      expect(isStaleMetadataCode(code)).toBe(false)
    }
  })
})
