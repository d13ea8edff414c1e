import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import type { CompressionCodec } from '../../../src/protocol/compression/codec.ts'
import {
  compressionTypeFromId,
  compressionTypeId,
} from '../../../src/protocol/compression/compression-type.ts'
import { createGzipCodec } from '../../../src/protocol/compression/gzip.ts'
import { codecFor, hasCodec, registerCodec } from '../../../src/protocol/compression/registry.ts'
import { decodeRecordBatches } from '../../../src/protocol/records/batch-decoder.ts'
import { encodeRecordBatch } from '../../../src/protocol/records/batch-encoder.ts'

describe('compression codecs', () => {
  it('maps codec names to the attribute ids Kafka uses', () => {
    expect((['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).map(compressionTypeId)).toEqual([
      0, 1, 2, 3, 4,
    ])
    expect(compressionTypeFromId(4)).toBe('zstd')
    expect(() => compressionTypeFromId(6)).toThrow(/unknown compression codec id 6/)
  })

  it('has gzip built in and produces standard gzip', async () => {
    const data = Buffer.from('hello hello hello hello')
    const compressed = await codecFor('gzip').compress(data)
    expect(gunzipSync(compressed)).toEqual(data)
    expect(await codecFor('gzip').decompress(compressed, { maxOutputBytes: 1024 })).toEqual(data)
  })

  it('stops gzip output at the limit', async () => {
    const compressed = await createGzipCodec({ level: 9 }).compress(Buffer.alloc(100_000))
    await expect(createGzipCodec().decompress(compressed, { maxOutputBytes: 99_999 })).rejects.toMatchObject({
      code: 'ERR_BUFFER_TOO_LARGE',
    })
  })

  it('has every codec by default (zstd through node:zlib, snappy and lz4 in TypeScript)', async () => {
    for (const type of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      expect(hasCodec(type)).toBe(true)
      const data = Buffer.from(`${type} `.repeat(100))
      const codec = codecFor(type)
      expect(await codec.decompress(await codec.compress(data), { maxOutputBytes: data.length })).toEqual(
        data,
      )
    }
  })

  it('uses a registered codec for encoding and decoding, and passes it the decompression limit', async () => {
    const limits: number[] = []
    // A toy codec (bytes reversed) that proves the batch really went through it.
    const reversing: CompressionCodec = {
      compress: async (data) => Buffer.from(data).reverse(),
      decompress: async (data, { maxOutputBytes }) => {
        limits.push(maxOutputBytes)
        return Buffer.from(data).reverse()
      },
    }
    registerCodec('lz4', reversing)
    expect(hasCodec('lz4')).toBe(true)
    const bytes = await encodeRecordBatch({
      compression: 'lz4',
      records: [{ key: Buffer.from('k'), value: Buffer.from('lz4 value'), timestamp: 1n }],
    })
    expect(bytes.includes(Buffer.from('eulav 4zl'))).toBe(true)
    const { batches } = await decodeRecordBatches(bytes, { maxDecompressedBytes: 4096 })
    expect(batches[0]!.compression).toBe('lz4')
    expect(batches[0]!.records[0]!.value).toEqual(Buffer.from('lz4 value'))
    expect(limits).toEqual([4096])
  })

  it('validates what is registered', () => {
    expect(() => registerCodec('none' as 'gzip', createGzipCodec())).toThrow(ConfigError)
    expect(() => registerCodec('zstd', {} as CompressionCodec)).toThrow(ConfigError)
  })
})
