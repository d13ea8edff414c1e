/**
 * Encodings checked against bytes worked out by hand from the protocol specification, so the codecs are not
 * only consistent with themselves but with what a broker expects on the wire.
 */

import { describe, expect, it } from 'vitest'
import { UnsupportedVersionError } from '../../../src/common/errors.ts'
import {
  ApiVersions,
  createApiVersion,
  createApiVersionsRequest,
  createApiVersionsResponse,
} from '../../../src/protocol/messages/api-versions.ts'
import {
  createMetadataRequest,
  createMetadataRequestTopic,
  Metadata,
} from '../../../src/protocol/messages/metadata.ts'
import {
  createOffsetCommitRequest,
  createOffsetCommitRequestPartition,
  createOffsetCommitRequestTopic,
  OffsetCommit,
} from '../../../src/protocol/messages/offset-commit.ts'
import { decodeRequestHeader, encodeRequestHeader } from '../../../src/protocol/messages/request-header.ts'
import { decodeResponseHeader } from '../../../src/protocol/messages/response-header.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'

function bytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex')
}

function encode(fill: (writer: Writer) => void): Buffer {
  const writer = new Writer(8)
  fill(writer)
  return writer.toBuffer()
}

const samsa = '73 61 6d 73 61' // "samsa"

describe('byte fixtures', () => {
  it('ApiVersions v0 request with header v1: an empty body after the classic header', () => {
    const frame = encode((w) => {
      encodeRequestHeader(w, 1, {
        requestApiKey: 18,
        requestApiVersion: 0,
        correlationId: 1,
        clientId: 'samsa',
      })
      ApiVersions.encodeRequest(w, 0, createApiVersionsRequest({ clientSoftwareName: 'ignored below v3' }))
    })
    expect(frame).toEqual(bytes(`0012 0000 00000001 0005 ${samsa}`))
    const header = decodeRequestHeader(new Reader(frame), 1)
    expect(header).toEqual({ requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'samsa' })
  })

  it('ApiVersions v3 request with header v2: classic client id, compact body strings, empty tag sections', () => {
    const frame = encode((w) => {
      encodeRequestHeader(w, 2, {
        requestApiKey: 18,
        requestApiVersion: 3,
        correlationId: 7,
        clientId: 'samsa',
      })
      ApiVersions.encodeRequest(
        w,
        3,
        createApiVersionsRequest({ clientSoftwareName: 'samsa', clientSoftwareVersion: '1.0' }),
      )
    })
    expect(frame).toEqual(bytes(`0012 0003 00000007 0005 ${samsa} 00   06 ${samsa} 04 312e30 00`))
  })

  it('Metadata v12 request: compact nullable array of topics with uuid and compact name', () => {
    const body = encode((w) =>
      Metadata.encodeRequest(
        w,
        12,
        createMetadataRequest({
          topics: [createMetadataRequestTopic({ name: 'orders' })],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: true,
        }),
      ),
    )
    const zeroUuid = '00'.repeat(16)
    expect(body).toEqual(bytes(`02 ${zeroUuid} 07 6f7264657273 00   00 01 00`))
    // A null topic list (all topics) is a compact length of 0.
    const all = encode((w) => Metadata.encodeRequest(w, 12, createMetadataRequest({ topics: null })))
    expect(all).toEqual(bytes('00 01 00 00'))
  })

  it('ApiVersions v3 response: a known tagged field decodes into its field, an unknown one is kept', () => {
    const wire = bytes(
      [
        '0000', // error code
        '02 0000 0000 000b 00', // one ApiVersion: Produce v0-11, empty tag section
        '00000000', // throttle time
        '02', // two tagged fields
        '01 08 0000000000000005', // tag 1 (FinalizedFeaturesEpoch), 8 bytes
        '09 02 abcd', // tag 9, unknown to this schema
      ].join(''),
    )
    const decoded = ApiVersions.decodeResponse(new Reader(wire), 3)
    expect(decoded).toEqual({
      ...createApiVersionsResponse({
        apiKeys: [createApiVersion({ apiKey: 0, minVersion: 0, maxVersion: 11 })],
        finalizedFeaturesEpoch: 5n,
      }),
      unknownTaggedFields: [{ tag: 9, data: bytes('abcd') }],
    })
    expect(encode((w) => ApiVersions.encodeResponse(w, 3, decoded))).toEqual(wire)
    // A field left at its default is not written at all.
    const plain = encode((w) => ApiVersions.encodeResponse(w, 3, createApiVersionsResponse()))
    expect(plain).toEqual(bytes('0000 01 00000000 00'))
  })

  it('response header v1 carries a tag section after the correlation id; v0 does not', () => {
    expect(decodeResponseHeader(new Reader(bytes('0000002a')), 0)).toEqual({ correlationId: 42 })
    const reader = new Reader(bytes('0000002a 00 ff'))
    expect(decodeResponseHeader(reader, 1)).toEqual({ correlationId: 42 })
    expect(reader.remaining).toBe(1)
  })
})

describe('fields a version cannot carry', () => {
  const commit = (groupInstanceId: string | null) =>
    createOffsetCommitRequest({
      groupId: 'g',
      groupInstanceId,
      topics: [
        createOffsetCommitRequestTopic({
          name: 't',
          partitions: [createOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 5n })],
        }),
      ],
    })

  it('throws UnsupportedVersionError naming the API, field and versions for a non-ignorable field', () => {
    const attempt = () => OffsetCommit.encodeRequest(new Writer(), 6, commit('instance-1'))
    expect(attempt).toThrow(UnsupportedVersionError)
    expect(attempt).toThrow('OffsetCommit v6 cannot carry groupInstanceId (needs v7+)')
    // At its default (null) the field is simply absent.
    expect(() => OffsetCommit.encodeRequest(new Writer(), 6, commit(null))).not.toThrow()
    expect(() => OffsetCommit.encodeRequest(new Writer(), 7, commit('instance-1'))).not.toThrow()
  })

  it('silently drops an ignorable field', () => {
    const body = encode((w) =>
      ApiVersions.encodeRequest(w, 2, createApiVersionsRequest({ clientSoftwareName: 'x' })),
    )
    expect(body.length).toBe(0)
  })

  it('rejects a version outside the schema', () => {
    expect(() => OffsetCommit.encodeRequest(new Writer(), 1, commit(null))).toThrow(UnsupportedVersionError)
    expect(() => Metadata.decodeResponse(new Reader(Buffer.alloc(0)), 99)).toThrow(UnsupportedVersionError)
  })

  it('rejects null where the version does not allow it', () => {
    const attempt = () =>
      Metadata.encodeRequest(
        new Writer(),
        9,
        createMetadataRequest({ topics: [createMetadataRequestTopic({ name: null })] }),
      )
    expect(attempt).toThrow(UnsupportedVersionError)
  })
})
