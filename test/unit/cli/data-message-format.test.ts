import { describe, expect, it } from 'vitest'
import { jsonLine, valueLine } from '../../../src/cli/data/message-format.ts'

const message = {
  topic: 't',
  partition: 2,
  offset: 9_007_199_254_740_993n,
  timestamp: 1_700_000_000_000,
  key: Buffer.from('k'),
  value: Buffer.from([0xff, 0x00, 0x41]),
  headers: [
    { key: 'h', value: Buffer.from('1') },
    { key: 'h', value: null },
  ],
}

describe('consume output', () => {
  it('prints the raw value and a newline, and an empty line for null', () => {
    expect(valueLine(message)).toEqual(Buffer.from([0xff, 0x00, 0x41, 0x0a]))
    expect(valueLine({ ...message, value: null }).toString()).toBe('\n')
  })

  it('prints JSON with the offset as an exact string and repeated headers kept', () => {
    const line = jsonLine(message, 'base64')
    expect(line.endsWith('\n')).toBe(true)
    expect(JSON.parse(line)).toEqual({
      topic: 't',
      partition: 2,
      offset: '9007199254740993',
      timestamp: 1_700_000_000_000,
      key: 'aw==',
      value: '/wBB',
      headers: [
        { key: 'h', value: 'MQ==' },
        { key: 'h', value: null },
      ],
    })
  })

  it('prints null keys as null in UTF-8 mode', () => {
    expect(JSON.parse(jsonLine({ ...message, key: null, value: Buffer.from('é') }, 'utf8'))).toMatchObject({
      key: null,
      value: 'é',
    })
  })
})
