import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '../../../src/common/errors.ts'
import type { CompressionCodec } from '../../../src/protocol/compression/codec.ts'
import { createLz4Codec, decompressLz4Frame } from '../../../src/protocol/compression/lz4.ts'
import { compressLz4Block } from '../../../src/protocol/compression/lz4-block.ts'
import { codecFor } from '../../../src/protocol/compression/registry.ts'
import { createSnappyCodec, decompressKafkaSnappy } from '../../../src/protocol/compression/snappy.ts'
import { compressSnappyBlock, decompressSnappyBlock } from '../../../src/protocol/compression/snappy-block.ts'
import { xxhash32 } from '../../../src/protocol/compression/xxhash32.ts'
import { createZstdCodec } from '../../../src/protocol/compression/zstd.ts'

// Written by kafka-clients 4.3.1 (Compression.wrapForOutput, magic v2) for 'samsa record <i % 7>;' x 40.
const PLAIN = Buffer.from(Array.from({ length: 40 }, (_, i) => `samsa record ${i % 7};`).join(''), 'utf8')
const JAVA_SNAPPY = Buffer.from(
  '82534e415050590000000001000000010000004bd8043873616d7361207265636f726420303b320f000031360f000032360f000033360f000034360f000035360f000036360f00fe6900fe6900fe6900fe6900fe6900fe6900fe6900866900',
  'hex',
)
const JAVA_LZ4 = Buffer.from(
  '04224d1860408236000000f90073616d7361207265636f726420303b0f001a310f001a320f001a330f001a340f001a350f001a360f000f6900ffcb50726420343b00000000',
  'hex',
)
const JAVA_ZSTD = Buffer.from(
  '28b52ffd0058940300740373616d7361207265636f726420303b3132333435363031323334353630313233343536303132333435363031323334353630313233343b2720e0e7b2c8273359e493992cf2c94c16f964268b7c3293453e99c9423e99c9229fcc64914f66b2c8273359e493992cf2c94c162d5f72a43a010000',
  'hex',
)

const codecs: Record<string, () => CompressionCodec> = {
  snappy: createSnappyCodec,
  lz4: createLz4Codec,
  zstd: () => createZstdCodec(),
}

function samples(): Record<string, Buffer> {
  const text = Array.from({ length: 30_000 }, (_, i) => `key-${i % 500} value ${i * 7}`).join('\n')
  return {
    empty: Buffer.alloc(0),
    'one byte': Buffer.from('x'),
    'short repeat (overlapping copy)': Buffer.from('abababababababababababababab'),
    'one repeated byte, 1 MiB': Buffer.alloc(1 << 20, 0x61),
    'random, 200 KiB (incompressible)': randomBytes(200 * 1024),
    'text, several blocks': Buffer.from(text),
  }
}

describe('codecs read what the Java client writes', () => {
  it('reads snappy-java xerial framing', () => {
    expect(decompressKafkaSnappy(JAVA_SNAPPY, PLAIN.length)).toEqual(PLAIN)
  })
  it('reads the LZ4 frame of KafkaLZ4BlockOutputStream', () => {
    expect(decompressLz4Frame(JAVA_LZ4, PLAIN.length)).toEqual(PLAIN)
  })
  it('reads zstd-jni output', async () => {
    expect(await createZstdCodec().decompress(JAVA_ZSTD, { maxOutputBytes: PLAIN.length })).toEqual(PLAIN)
  })
  it('writes the same stream headers as the Java client', async () => {
    // xerial magic + versions 1/1; LZ4 magic, FLG (version 1, independent blocks), BD (64 KiB), checksum.
    expect((await createSnappyCodec().compress(PLAIN)).subarray(0, 16)).toEqual(JAVA_SNAPPY.subarray(0, 16))
    expect((await createLz4Codec().compress(PLAIN)).subarray(0, 7)).toEqual(JAVA_LZ4.subarray(0, 7))
  })
})

describe.each(Object.keys(codecs))('%s', (name) => {
  const codec = codecs[name]!()

  it.each(Object.entries(samples()))('round-trips %s', async (_label, data) => {
    const compressed = await codec.compress(data)
    expect(await codec.decompress(compressed, { maxOutputBytes: data.length })).toEqual(data)
  })

  it('is the codec the registry hands out', async () => {
    const registered = codecFor(name as 'snappy' | 'lz4' | 'zstd')
    const data = samples()['text, several blocks']!
    expect(await registered.decompress(await codec.compress(data), { maxOutputBytes: data.length })).toEqual(
      data,
    )
  })

  it('stops one byte short of the output limit', async () => {
    const data = samples()['text, several blocks']!
    const compressed = await codec.compress(data)
    await expect(codec.decompress(compressed, { maxOutputBytes: data.length - 1 })).rejects.toMatchObject({
      code: 'ERR_BUFFER_TOO_LARGE',
    })
  })
})

describe('malformed input', () => {
  it('rejects every truncation of an LZ4 frame', () => {
    for (let cut = 0; cut < JAVA_LZ4.length; cut++) {
      expect(() => decompressLz4Frame(JAVA_LZ4.subarray(0, cut), 1 << 20), `cut at ${cut}`).toThrow(
        CorruptRecordError,
      )
    }
  })

  it('rejects every truncation inside a xerial chunk', () => {
    for (let cut = 17; cut < JAVA_SNAPPY.length; cut++) {
      expect(() => decompressKafkaSnappy(JAVA_SNAPPY.subarray(0, cut), 1 << 20), `cut at ${cut}`).toThrow(
        CorruptRecordError,
      )
    }
  })

  it('rejects an LZ4 frame whose descriptor checksum does not match', () => {
    const damaged = Buffer.from(JAVA_LZ4)
    damaged[6] = damaged[6]! ^ 1
    expect(() => decompressLz4Frame(damaged, 1 << 20)).toThrow(/descriptor checksum/)
  })

  it('rejects snappy copies that reach before the start of the output', () => {
    // Declared length 8, then a 2-byte-offset copy of 8 bytes from offset 4 with nothing written yet.
    expect(() => decompressSnappyBlock(Buffer.from([8, (7 << 2) | 2, 4, 0]), 100)).toThrow(/offset/)
  })

  it('refuses a snappy block that declares more than the limit before allocating it', () => {
    // Varint 0xffffffff: a 4 GiB claim in five bytes.
    expect(() => decompressSnappyBlock(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 1 << 20)).toThrow(
      expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }),
    )
  })
})

describe('snappy framing', () => {
  it('also reads one raw snappy block without xerial framing', () => {
    const data = samples()['text, several blocks']!
    expect(decompressKafkaSnappy(compressSnappyBlock(data), data.length)).toEqual(data)
  })

  it('splits the stream into 32 KiB chunks, each length-prefixed', async () => {
    const data = randomBytes(70_000)
    const stream = await createSnappyCodec().compress(data)
    const lengths: number[] = []
    for (let i = 16; i < stream.length; ) {
      const n = stream.readInt32BE(i)
      lengths.push(decompressSnappyBlock(stream.subarray(i + 4, i + 4 + n), 1 << 20).length)
      i += 4 + n
    }
    expect(lengths).toEqual([32_768, 32_768, 70_000 - 65_536])
  })
})

describe('LZ4 frame options other writers use', () => {
  it('verifies block checksums, content size and content checksum', () => {
    const block = Buffer.alloc(1024)
    const blockEnd = compressLz4Block(PLAIN, 0, PLAIN.length, block, 0, new Int32Array(1 << 14))
    const compressed = block.subarray(0, blockEnd)
    // FLG: version 1, independent blocks, block checksum, content size, content checksum.
    const descriptor = Buffer.alloc(10)
    descriptor[0] = 0x40 | 0x20 | 0x10 | 0x08 | 0x04
    descriptor[1] = 0x40
    descriptor.writeBigUInt64LE(BigInt(PLAIN.length), 2)
    const size = Buffer.alloc(4)
    size.writeUInt32LE(compressed.length)
    const u32 = (n: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(n)
      return b
    }
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18]),
      descriptor,
      Buffer.from([(xxhash32(descriptor) >>> 8) & 0xff]),
      size,
      compressed,
      u32(xxhash32(compressed)),
      u32(0),
      u32(xxhash32(PLAIN)),
    ])
    expect(decompressLz4Frame(frame, PLAIN.length)).toEqual(PLAIN)

    const badContent = Buffer.from(frame)
    badContent[badContent.length - 1] = badContent[badContent.length - 1]! ^ 1
    expect(() => decompressLz4Frame(badContent, PLAIN.length)).toThrow(/content checksum/)
    const badBlock = Buffer.from(frame)
    badBlock[19] = badBlock[19]! ^ 1
    expect(() => decompressLz4Frame(badBlock, PLAIN.length)).toThrow(/block checksum/)
  })
})

describe('xxhash32', () => {
  it('matches the reference vectors', () => {
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05)
    expect(xxhash32(Buffer.from('a'))).toBe(0x550d7456)
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff)
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f)
  })
})
