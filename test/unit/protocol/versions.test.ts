import { describe, expect, it } from 'vitest'
import { UnsupportedVersionError } from '../../../src/common/errors.ts'
import { Fetch, Metadata } from '../../../src/protocol/messages/index.ts'
import { pickVersion } from '../../../src/protocol/versions.ts'

describe('pickVersion', () => {
  it('picks the highest version both sides support', () => {
    expect(pickVersion(Metadata, { minVersion: 0, maxVersion: 9 })).toBe(9)
    expect(pickVersion(Metadata, { minVersion: 0, maxVersion: 99 })).toBe(Metadata.maxVersion)
  })

  it('respects a client cap', () => {
    expect(pickVersion(Metadata, { minVersion: 0, maxVersion: 99 }, 11)).toBe(11)
    expect(pickVersion(Metadata, { minVersion: 0, maxVersion: 8 }, 11)).toBe(8)
  })

  it('throws naming the API and both ranges when they do not overlap', () => {
    const broker = { minVersion: 0, maxVersion: Fetch.minVersion - 1 }
    expect(() => pickVersion(Fetch, broker)).toThrow(UnsupportedVersionError)
    expect(() => pickVersion(Fetch, broker)).toThrow(
      `no common version of Fetch: samsa speaks v${Fetch.minVersion}-${Fetch.maxVersion}, the broker v0-${Fetch.minVersion - 1}`,
    )
    expect(() => pickVersion(Metadata, { minVersion: 5, maxVersion: 13 }, 4)).toThrow(
      /no common version of Metadata/,
    )
  })

  it('throws when the broker does not have the API', () => {
    expect(() => pickVersion(Fetch, undefined)).toThrow(/does not support Fetch \(API key 1\)/)
  })
})
