/**
 * The Writer's shortcuts must not change the bytes: a writer that references long byte ranges instead of
 * copying them (how Connection frames Produce requests) writes what one that copies everything writes, and
 * ASCII strings copied character by character are their UTF-8 encoding.
 */

import { describe, expect, it } from 'vitest'
import { createProduceRequest, Produce } from '../../../src/protocol/messages/produce.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'

function filled(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}

describe('Writer with shared byte ranges', () => {
  it('references ranges from the threshold up, copies shorter ones, and keeps the order', () => {
    const long = filled(64, 1)
    const short = filled(63, 2)
    const writer = new Writer(8, 64)
    const sizeAt = writer.reserveInt32()
    writer.int16(7).raw(long).raw(short).bytes(long).int8(-1)
    writer.patchInt32(sizeAt, writer.length - 4)

    const segments = writer.segments()
    // The long range appears twice by reference (raw, then inside bytes()); everything else is copied.
    expect(segments.filter((segment) => segment === long)).toHaveLength(2)
    expect(segments).not.toContain(short)
    expect(writer.length).toBe(4 + 2 + 64 + 63 + 4 + 64 + 1)
    expect(writer.ownLength).toBe(writer.length - 128)

    const copying = new Writer(8)
    const copyingSizeAt = copying.reserveInt32()
    copying.int16(7).raw(long).raw(short).bytes(long).int8(-1)
    copying.patchInt32(copyingSizeAt, copying.length - 4)
    expect(Buffer.concat(segments)).toEqual(copying.toBuffer())
    expect(writer.toBuffer()).toEqual(copying.toBuffer())
    expect(writer.toBuffer().readInt32BE(0)).toBe(writer.length - 4)
  })

  it('keeps the references when its own buffer grows past them', () => {
    const long = filled(100, 3)
    const writer = new Writer(2, 100)
    writer.raw(long)
    for (let i = 0; i < 50; i++) writer.int32(i)
    const segments = writer.segments()
    expect(segments[0]).toBe(long)
    expect(
      Buffer.concat(segments)
        .subarray(100)
        .readInt32BE(49 * 4),
    ).toBe(49)
  })

  it('hands out one segment when nothing was shared, and refuses view() when something was', () => {
    const plain = new Writer(8, 1024)
    plain.int32(5)
    expect(plain.segments()).toHaveLength(1)
    expect(plain.view()).toEqual(Buffer.from([0, 0, 0, 5]))

    const sharing = new Writer(8, 4)
    sharing.raw(filled(4, 4))
    expect(() => sharing.view()).toThrow(/segments\(\)/)
  })

  it('frames a Produce request byte for byte as a copying writer does', () => {
    const batches = [filled(5000, 5), filled(4096, 6), filled(10, 7)]
    const request = createProduceRequest({
      acks: -1,
      timeoutMs: 30_000,
      topicData: [
        {
          name: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitionData: batches.map((records, index) => ({ index, records })),
        },
      ],
    })
    for (const version of [3, 9, 12]) {
      const sharing = new Writer(16, 4096)
      Produce.encodeRequest(sharing, version, request)
      const copying = new Writer(16)
      Produce.encodeRequest(copying, version, request)
      const segments = sharing.segments()
      expect(segments).toContain(batches[0])
      expect(segments).toContain(batches[1])
      expect(segments).not.toContain(batches[2])
      expect(Buffer.concat(segments)).toEqual(copying.toBuffer())
    }
  })
})

describe('Writer strings', () => {
  const samples = [
    '',
    'orders',
    'ünïcödé',
    'emoji 🐛 in a name',
    'a'.repeat(256),
    'b'.repeat(257),
    `${'c'.repeat(255)}é`,
  ]

  it('writes every string as its UTF-8 bytes, ASCII or not, short or long', () => {
    for (const value of samples) {
      const utf8 = Buffer.from(value, 'utf8')
      const classic = new Writer(4).string(value).toBuffer()
      expect(classic.readInt16BE(0)).toBe(utf8.length)
      expect(classic.subarray(2)).toEqual(utf8)
      const compact = new Writer(4).compactString(value).toBuffer()
      const reference = new Writer(4)
        .unsignedVarint(utf8.length + 1)
        .raw(utf8)
        .toBuffer()
      expect(compact).toEqual(reference)
    }
  })
})
