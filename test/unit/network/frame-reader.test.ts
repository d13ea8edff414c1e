import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError } from '../../../src/common/errors.ts'
import { FrameReader } from '../../../src/network/frame-reader.ts'

function frame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8')
  const out = Buffer.alloc(4 + body.length)
  out.writeInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}

function collect(maxFrameBytes?: number): { reader: FrameReader; frames: string[] } {
  const frames: string[] = []
  const reader = new FrameReader((f) => frames.push(f.toString('utf8')), maxFrameBytes)
  return { reader, frames }
}

describe('FrameReader', () => {
  it('emits several frames that arrive merged in one chunk, in order', () => {
    const { reader, frames } = collect()
    reader.push(Buffer.concat([frame('alpha'), frame(''), frame('gamma-delta')]))
    expect(frames).toEqual(['alpha', '', 'gamma-delta'])
    expect(reader.bufferedBytes).toBe(0)
  })

  it('reassembles a stream delivered one byte at a time', () => {
    const { reader, frames } = collect()
    const stream = Buffer.concat([frame('first'), frame('second frame'), frame('3')])
    for (let i = 0; i < stream.length; i++) {
      reader.push(stream.subarray(i, i + 1))
    }
    expect(frames).toEqual(['first', 'second frame', '3'])
    expect(reader.bufferedBytes).toBe(0)
  })

  it('gives the same frames for every way of splitting the stream in two or three chunks', () => {
    const stream = Buffer.concat([frame('one'), frame('two two'), frame('three three three')])
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b += 3) {
        const { reader, frames } = collect()
        reader.push(stream.subarray(0, a))
        reader.push(stream.subarray(a, b))
        reader.push(stream.subarray(b))
        expect(frames, `split at ${a}/${b}`).toEqual(['one', 'two two', 'three three three'])
      }
    }
  })

  it('holds an incomplete frame until its last byte arrives', () => {
    const { reader, frames } = collect()
    const whole = frame('waiting for the rest')
    reader.push(whole.subarray(0, 10))
    expect(frames).toEqual([])
    expect(reader.bufferedBytes).toBe(6)
    reader.push(whole.subarray(10))
    expect(frames).toEqual(['waiting for the rest'])
  })

  it('hands out a frame contained in one chunk without copying it', () => {
    const received: Buffer[] = []
    const reader = new FrameReader((f) => received.push(f))
    const chunk = frame('zero-copy')
    reader.push(chunk)
    expect(received[0]!.buffer).toBe(chunk.buffer)
  })

  it('rejects a size prefix above the limit before receiving or allocating the body', () => {
    const { reader, frames } = collect(1024)
    const prefix = Buffer.alloc(4)
    prefix.writeInt32BE(1025, 0)
    expect(() => reader.push(prefix)).toThrow(ProtocolDecodeError)
    expect(() => collect(1024).reader.push(prefix)).toThrow(/1025 bytes/)
    expect(frames).toEqual([])
  })

  it('rejects a size prefix split across chunks once it is complete', () => {
    const { reader } = collect()
    // "HTTP" read as a big-endian int32 is 1213486160, far above the default 256 MiB limit.
    reader.push(Buffer.from('HT'))
    expect(() => reader.push(Buffer.from('TP/1.1 400'))).toThrow(/not a Kafka broker/)
  })

  it('rejects a negative size prefix', () => {
    const { reader } = collect()
    expect(() => reader.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(ProtocolDecodeError)
  })

  it('accepts a frame exactly at the limit', () => {
    const { reader, frames } = collect(5)
    reader.push(frame('12345'))
    expect(frames).toEqual(['12345'])
  })

  it('forgets a partial frame on reset', () => {
    const { reader, frames } = collect()
    reader.push(frame('abandoned').subarray(0, 7))
    reader.reset()
    expect(reader.bufferedBytes).toBe(0)
    reader.push(frame('fresh'))
    expect(frames).toEqual(['fresh'])
  })
})

describe('FrameReader reading into its own buffers (socket onread)', () => {
  /** A frame of `size` bytes whose content depends on `seed`. */
  function sizedFrame(size: number, seed: number): Buffer {
    const out = Buffer.allocUnsafe(4 + size)
    out.writeInt32BE(size, 0)
    for (let i = 0; i < size; i++) out[4 + i] = (i * 7 + seed) & 0xff
    return out
  }

  /**
   * Feeds `stream` the way Node's onread does: each read fills the start of the buffer readTarget()
   * returned, with at most `readSizes()` bytes and never more than the buffer holds.
   */
  function readThrough(reader: FrameReader, stream: Buffer, readSizes: () => number): Uint8Array[] {
    const targets: Uint8Array[] = []
    let at = 0
    while (at < stream.length) {
      const target = reader.readTarget()
      targets.push(target)
      const bytes = Math.min(target.length, stream.length - at, readSizes())
      stream.copy(target, 0, at, at + bytes)
      at += bytes
      reader.filled(bytes, target)
    }
    return targets
  }

  it('gives the same frames as push() for small and large frames and any read sizes', () => {
    const sizes = [0, 5, 70_000, 12, 300_000, 40_000, 1, 33_000]
    const stream = Buffer.concat(sizes.map((size, i) => sizedFrame(size, i)))
    for (const maxRead of [1, 3, 1000, 65_536, 1_000_000]) {
      let turn = 0
      const frames: Buffer[] = []
      const reader = new FrameReader((f) => frames.push(f))
      readThrough(reader, stream, () => Math.max(1, Math.floor((maxRead * ((turn++ % 5) + 1)) / 5)))
      expect(frames.map((f) => f.length)).toEqual(sizes)
      for (const [i, f] of frames.entries()) expect(f).toEqual(sizedFrame(sizes[i]!, i).subarray(4))
      expect(reader.bufferedBytes).toBe(0)
    }
  })

  it('reads the rest of a large frame straight into the frame, and copies frames out of the scratch buffer', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader((f) => frames.push(f))
    const stream = Buffer.concat([sizedFrame(10, 1), sizedFrame(500_000, 2), sizedFrame(20, 3)])
    const targets = readThrough(reader, stream, () => 65_536)
    const [small, large, last] = frames as [Buffer, Buffer, Buffer]
    // Reads that went into the large frame are views of its own memory.
    const direct = targets.filter((t) => t.buffer === large.buffer)
    expect(direct.length).toBeGreaterThan(0)
    expect(direct.reduce((sum, t) => sum + t.length, 0)).toBeGreaterThan(400_000)
    // The scratch buffer is reused: what was copied out of it must not change when it is overwritten.
    const scratch = reader.readTarget()
    expect(small.buffer).not.toBe(scratch.buffer)
    expect(last.buffer).not.toBe(scratch.buffer)
    scratch.fill(0xee)
    expect(small).toEqual(sizedFrame(10, 1).subarray(4))
    expect(last).toEqual(sizedFrame(20, 3).subarray(4))
  })

  it('rejects an oversized size prefix arriving in the scratch buffer before allocating', () => {
    const reader = new FrameReader(() => {}, 1024)
    const target = reader.readTarget()
    Buffer.from([0x7f, 0xff, 0xff, 0xff]).copy(target)
    expect(() => reader.filled(4, target)).toThrow(ProtocolDecodeError)
  })
})
