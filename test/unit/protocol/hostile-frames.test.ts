/**
 * Hostile bytes for the protocol decoders: every generated response (and request) decoder is fed random
 * bytes, bit-flipped valid encodings and valid encodings whose length prefixes are set to extreme values;
 * the frame reader is fed random streams in random chunks. Decoding may succeed or throw
 * ProtocolDecodeError, nothing else; the frame reader never allocates a frame above its limit.
 */

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError } from '../../../src/common/errors.ts'
import { FrameReader } from '../../../src/network/frame-reader.ts'
import type { ApiDefinition } from '../../../src/protocol/api.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import { type LoadedApi, loadGeneratedApis, sampleStruct } from './messages-samples.ts'

const apis = await loadGeneratedApis()

type Decode = ApiDefinition<unknown, unknown>['decodeResponse']

function decodeFailure(decode: Decode, bytes: Buffer, version: number): string | null {
  try {
    decode(new Reader(bytes), version)
    return null
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null
    return `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`
  }
}

function versionsOf(loaded: LoadedApi): number[] {
  const { definition } = loaded
  const versions = new Set([definition.minVersion, definition.maxVersion])
  if (definition.firstFlexibleVersion <= definition.maxVersion) {
    versions.add(Math.max(definition.minVersion, definition.firstFlexibleVersion))
  }
  return [...versions]
}

function encodeSample(loaded: LoadedApi, side: 'request' | 'response', version: number): Buffer {
  const flexible = version >= loaded.definition.firstFlexibleVersion
  const message = side === 'request' ? loaded.spec.request : loaded.spec.response
  const encode = side === 'request' ? loaded.definition.encodeRequest : loaded.definition.encodeResponse
  const writer = new Writer()
  encode(writer, version, sampleStruct(loaded.module, message.root, version, flexible, 'values'))
  return writer.toBuffer()
}

describe('protocol decoders: hostile input', () => {
  for (const loaded of apis) {
    const name = loaded.spec.name
    it(`${name}: random bytes, bit flips and extreme length prefixes`, () => {
      const failures: string[] = []
      for (const version of versionsOf(loaded)) {
        for (const side of ['request', 'response'] as const) {
          const decode =
            side === 'request' ? loaded.definition.decodeRequest : loaded.definition.decodeResponse
          const valid = encodeSample(loaded, side, version)
          const where = `${name} ${side} v${version}`
          fc.assert(
            fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
              const failure = decodeFailure(decode, Buffer.from(bytes), version)
              if (failure !== null) failures.push(`${where} random: ${failure}`)
            }),
            { numRuns: 25 },
          )
          fc.assert(
            fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fc.nat(), (positions, bit) => {
              const damaged = Buffer.from(valid)
              for (const p of positions) damaged[p % damaged.length]! ^= 1 << (bit % 8)
              const failure = decodeFailure(decode, damaged, version)
              if (failure !== null) failures.push(`${where} bit flip: ${failure}`)
            }),
            { numRuns: 40 },
          )
          // Overwrites four bytes with a huge or negative value: wherever they land on an int32 length,
          // array count or (in part) a varint, the decoder must refuse before allocating.
          fc.assert(
            fc.property(fc.nat(), fc.constantFrom(0x7fffffff, 0xffffffff, 0x80000000, 0xfffffffe), (p, v) => {
              const damaged = Buffer.from(valid)
              if (damaged.length < 4) return
              damaged.writeUInt32BE(v, p % (damaged.length - 3))
              const failure = decodeFailure(decode, damaged, version)
              if (failure !== null) failures.push(`${where} extreme length: ${failure}`)
            }),
            { numRuns: 20 },
          )
        }
      }
      expect(failures.slice(0, 5)).toEqual([])
    })
  }
})

describe('frame reader: hostile streams', () => {
  it('random bytes in random chunks give frames within the limit or ProtocolDecodeError', () => {
    const limit = 1024
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 20 }),
        (bytes, cuts) => {
          const frames: Buffer[] = []
          const reader = new FrameReader((frame) => frames.push(frame), limit)
          let position = 0
          let i = 0
          try {
            while (position < bytes.length) {
              const size = cuts[i++ % cuts.length]!
              reader.push(Buffer.from(bytes.subarray(position, position + size)))
              position += size
            }
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolDecodeError)
          }
          for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(limit)
          expect(reader.bufferedBytes).toBeLessThanOrEqual(limit + 4)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('a size prefix above the limit is refused at once, before its body arrives', () => {
    const reader = new FrameReader(() => undefined, 1024)
    expect(() => reader.push(Buffer.from([0x7f, 0xff, 0xff, 0xff]))).toThrow(ProtocolDecodeError)
    const negative = new FrameReader(() => undefined, 1024)
    expect(() => negative.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(ProtocolDecodeError)
  })
})
