import { describe, expect, it } from 'vitest'
import { parseBootstrap, resolveClientOptions } from '../../../src/cluster/client-options.ts'
import { ConfigError } from '../../../src/common/errors.ts'

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('resolveClientOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveClientOptions({ bootstrap: 'localhost:9092' })
    expect(resolved).toMatchObject({
      bootstrap: [{ host: 'localhost', port: 9092 }],
      clientId: 'samsa',
      requestTimeoutMs: 30_000,
      connectionTimeoutMs: 10_000,
      retries: 5,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 1000,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1000,
      metadataMaxAgeMs: 300_000,
      maxInFlightRequests: 5,
      maxResponseBytes: 256 * 1024 * 1024,
    })
  })

  it.each([
    ['requestTimeoutMs', { requestTimeoutMs: 0 }],
    ['connectionTimeoutMs', { connectionTimeoutMs: 1.5 }],
    ['retries', { retries: -1 }],
    ['retryBackoffMs', { retryBackoffMs: '100' }],
    ['retryBackoffMaxMs', { retryBackoffMs: 500, retryBackoffMaxMs: 100 }],
    ['reconnectBackoffMaxMs', { reconnectBackoffMs: 2000, reconnectBackoffMaxMs: 1000 }],
    ['metadataMaxAgeMs', { metadataMaxAgeMs: -5 }],
    ['maxInFlightRequests', { maxInFlightRequests: 0 }],
    ['maxResponseBytes', { maxResponseBytes: 10 }],
    ['clientId', { clientId: '' }],
    ['logger', { logger: { debug() {}, info() {} } }],
    ['options.requestTimeout', { requestTimeout: 1000 }],
    ['tls', { tls: 'yes' }],
    ['sasl.mechanism', { sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }],
    ['sasl.password', { sasl: { mechanism: 'plain', username: 'u', password: '' } }],
    ['sasl.token', { sasl: { mechanism: 'oauthbearer', token: 'not-a-function' } }],
  ])('names %s when it is invalid', (option, overrides) => {
    const error = configErrorOf(() =>
      resolveClientOptions({ bootstrap: 'localhost:9092', ...(overrides as object) } as never),
    )
    expect(error.option).toBe(option)
    expect(error.message).toContain(option)
  })

  it('lets callers allow their own extra option names', () => {
    expect(() =>
      resolveClientOptions({ bootstrap: 'localhost:9092', acks: -1 } as never, ['acks']),
    ).not.toThrow()
  })
})

describe('parseBootstrap', () => {
  it('accepts arrays, comma-separated lists and bracketed IPv6 hosts', () => {
    expect(parseBootstrap(['a:1', 'b.example.com:9092'])).toEqual([
      { host: 'a', port: 1 },
      { host: 'b.example.com', port: 9092 },
    ])
    expect(parseBootstrap(' a:9092 , [::1]:9093 ')).toEqual([
      { host: 'a', port: 9092 },
      { host: '::1', port: 9093 },
    ])
  })

  it.each([
    ['localhost', /a port is required/],
    ['localhost:', /expected 1-65535/],
    ['localhost:0', /expected 1-65535/],
    ['localhost:65536', /expected 1-65535/],
    ['localhost:90x', /expected 1-65535/],
    ['::1:9092', /IPv6/],
    ['', /at least one broker/],
    [' , ', /at least one broker/],
  ])('rejects %j with a message naming the option', (value, message) => {
    const error = configErrorOf(() => parseBootstrap(value))
    expect(error.option).toBe('bootstrap')
    expect(error.message).toMatch(message)
  })

  it('rejects an empty list and non-strings', () => {
    expect(configErrorOf(() => parseBootstrap([])).message).toMatch(/at least one broker/)
    expect(configErrorOf(() => parseBootstrap([9092])).option).toBe('bootstrap')
    expect(configErrorOf(() => resolveClientOptions({} as never)).option).toBe('bootstrap')
  })
})
