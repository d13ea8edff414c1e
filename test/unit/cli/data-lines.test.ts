import { describe, expect, it } from 'vitest'
import { splitKeyValue, splitLines } from '../../../src/cli/data/lines.ts'

async function collect(chunks: Array<string | Buffer>): Promise<string[]> {
  async function* source() {
    for (const chunk of chunks) yield chunk
  }
  const lines: string[] = []
  for await (const line of splitLines(source())) lines.push(line.toString('utf8'))
  return lines
}

describe('splitLines', () => {
  it('keeps empty lines and drops the final terminator', async () => {
    expect(await collect(['a\n\nb\n'])).toEqual(['a', '', 'b'])
  })

  it('yields a last line without a terminator', async () => {
    expect(await collect(['a\nb'])).toEqual(['a', 'b'])
  })

  it('joins lines split across chunks, including multi-byte characters', async () => {
    const bytes = Buffer.from('héllo wörld\n😀x\n')
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9, 14), bytes.subarray(14)]
    expect(await collect(chunks)).toEqual(['héllo wörld', '😀x'])
  })

  it('strips the carriage return of CRLF line endings only', async () => {
    expect(await collect(['a\r\nb\rc\n'])).toEqual(['a', 'b\rc'])
  })

  it('yields nothing for empty input and one empty record for a lone newline', async () => {
    expect(await collect([])).toEqual([])
    expect(await collect(['\n'])).toEqual([''])
  })
})

describe('splitKeyValue', () => {
  it('splits at the first separator only', () => {
    const { key, value } = splitKeyValue(Buffer.from('k1:v:1'), Buffer.from(':'))
    expect(key?.toString()).toBe('k1')
    expect(value.toString()).toBe('v:1')
  })

  it('gives a null key when the separator is missing', () => {
    const { key, value } = splitKeyValue(Buffer.from('plain'), Buffer.from('\t'))
    expect(key).toBeNull()
    expect(value.toString()).toBe('plain')
  })
})
