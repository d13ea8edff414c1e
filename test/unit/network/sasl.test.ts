import { describe, expect, it } from 'vitest'
import { AuthenticationError } from '../../../src/common/errors.ts'
import { oauthBearerExchange } from '../../../src/network/sasl/oauthbearer.ts'
import { plainExchange } from '../../../src/network/sasl/plain.ts'
import { scramExchange } from '../../../src/network/sasl/scram.ts'

describe('SCRAM-SHA-256', () => {
  // The example exchange of RFC 7677, section 3.
  const clientNonce = 'rOprNGfwEbeRWgbNEkqO'
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'

  it('produces the RFC 7677 messages and verifies the server signature', async () => {
    const exchange = scramExchange('sha256', 'user', 'pencil', clientNonce)
    expect((await exchange.respond(undefined))!.toString()).toBe(`n,,n=user,r=${clientNonce}`)
    expect((await exchange.respond(Buffer.from(serverFirst)))!.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    )
    expect(await exchange.respond(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull()
  })

  it('rejects a server signature that does not verify, without naming the password', async () => {
    const exchange = scramExchange('sha256', 'user', 'pencil', clientNonce)
    await exchange.respond(undefined)
    await exchange.respond(Buffer.from(serverFirst))
    const error = await exchange
      .respond(Buffer.from(`v=${Buffer.alloc(32).toString('base64')}`))
      .catch((e) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error.message).toMatch(/signature does not verify/)
    expect(error.message).not.toContain('pencil')
  })

  it('rejects a nonce that does not extend its own, and too few iterations', async () => {
    const stolen = scramExchange('sha256', 'user', 'pencil', clientNonce)
    await stolen.respond(undefined)
    await expect(
      stolen.respond(Buffer.from('r=somebody-else,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')),
    ).rejects.toThrow(/nonce/)
    const weak = scramExchange('sha256', 'user', 'pencil', clientNonce)
    await weak.respond(undefined)
    await expect(
      weak.respond(Buffer.from(`r=${clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`)),
    ).rejects.toThrow(/iterations/)
  })

  it('escapes , and = in user names', async () => {
    const exchange = scramExchange('sha512', 'a,b=c', 'p', 'n0nce')
    expect((await exchange.respond(undefined))!.toString()).toBe('n,,n=a=2Cb=3Dc,r=n0nce')
  })
})

describe('PLAIN', () => {
  it('sends the credentials once, NUL-separated, then is done', async () => {
    const exchange = plainExchange('alice', 'secret')
    expect(await exchange.respond(undefined)).toEqual(Buffer.from('\0alice\0secret'))
    expect(await exchange.respond(Buffer.alloc(0))).toBeNull()
  })
})

describe('OAUTHBEARER', () => {
  it('sends the token with its extensions in the RFC 7628 initial response', async () => {
    const exchange = oauthBearerExchange(async () => ({ value: 'tok.en.', extensions: { traceId: 'abc' } }))
    expect((await exchange.respond(undefined))!.toString()).toBe(
      'n,,\x01auth=Bearer tok.en.\x01traceId=abc\x01\x01',
    )
    expect(await exchange.respond(Buffer.alloc(0))).toBeNull()
  })

  it("acknowledges the broker's error document and reports its status", async () => {
    const exchange = oauthBearerExchange(() => 'tok.en.')
    await exchange.respond(undefined)
    const ack = await exchange.respond(Buffer.from('{"status":"invalid_token"}'))
    expect(ack).toEqual(Buffer.from('\x01'))
    expect(exchange.describeFailure!()).toMatch(/status invalid_token/)
  })

  it('refuses extension names other than letters', async () => {
    const exchange = oauthBearerExchange(() => ({ value: 't', extensions: { 'bad key': 'v' } }))
    await expect(exchange.respond(undefined)).rejects.toThrow(/letters only/)
  })
})
