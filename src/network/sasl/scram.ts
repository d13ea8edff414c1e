/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka's brokers run them: no channel binding,
 * no authorization identity. The password never crosses the wire; the exchange also proves that the
 * server knows the user's salted credentials, so an impostor broker is detected.
 */

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { AuthenticationError } from '../../common/errors.ts'
import type { SaslExchange } from './sasl-mechanism.ts'

const pbkdf2Async = promisify(pbkdf2)

/** Kafka's brokers refuse credentials stored with fewer iterations; a server asking for fewer is suspect. */
const MIN_ITERATIONS = 4096

export type ScramHash = 'sha256' | 'sha512'

const KEY_BYTES: Record<ScramHash, number> = { sha256: 32, sha512: 64 }

/** The GS2 header: no channel binding, no authorization identity. */
const GS2_HEADER = 'n,,'

export function scramExchange(
  hash: ScramHash,
  username: string,
  password: string,
  clientNonce = randomBytes(24).toString('base64'),
): SaslExchange {
  const mechanism = `SCRAM-${hash === 'sha256' ? 'SHA-256' : 'SHA-512'}`
  const clientFirstBare = `n=${saslName(username)},r=${clientNonce}`
  let step = 0
  let expectedServerSignature: Buffer | undefined

  const fail = (detail: string) => new AuthenticationError(`${mechanism} authentication failed: ${detail}`)

  return {
    respond: async (challenge) => {
      step++
      if (step === 1) return Buffer.from(GS2_HEADER + clientFirstBare, 'utf8')
      if (step === 2) {
        const serverFirst = challenge?.toString('utf8') ?? ''
        const fields = parseAttributes(serverFirst)
        if (fields.e !== undefined) throw fail(`the broker says ${fields.e}`)
        const nonce = fields.r
        const salt = fields.s
        const iterations = Number(fields.i)
        if (nonce === undefined || salt === undefined || !Number.isInteger(iterations)) {
          throw fail('the broker sent a malformed server-first message')
        }
        if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
          throw fail("the broker's nonce does not extend the client's")
        }
        if (iterations < MIN_ITERATIONS) {
          throw fail(`the broker asked for ${iterations} iterations, below the minimum of ${MIN_ITERATIONS}`)
        }
        const saltedPassword = await pbkdf2Async(
          password.normalize('NFKC'),
          Buffer.from(salt, 'base64'),
          iterations,
          KEY_BYTES[hash],
          hash,
        )
        const clientFinalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`
        const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`
        const clientKey = hmac(hash, saltedPassword, 'Client Key')
        const storedKey = createHash(hash).update(clientKey).digest()
        const clientSignature = hmac(hash, storedKey, authMessage)
        const proof = Buffer.alloc(clientKey.length)
        for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!
        expectedServerSignature = hmac(hash, hmac(hash, saltedPassword, 'Server Key'), authMessage)
        return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8')
      }
      if (step === 3) {
        const fields = parseAttributes(challenge?.toString('utf8') ?? '')
        if (fields.e !== undefined) throw fail(`the broker says ${fields.e}`)
        const signature = Buffer.from(fields.v ?? '', 'base64')
        const expected = expectedServerSignature!
        if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
          throw fail("the broker's signature does not verify: it does not hold this user's credentials")
        }
        return null
      }
      return null
    },
  }
}

function hmac(hash: ScramHash, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data, 'utf8').digest()
}

/** RFC 5802's escaping of `=` and `,` in user names. */
function saslName(username: string): string {
  return username.replaceAll('=', '=3D').replaceAll(',', '=2C')
}

/** `a=1,b=2` → `{ a: '1', b: '2' }`; values may themselves contain `=` (base64). */
function parseAttributes(message: string): Record<string, string | undefined> {
  const attributes: Record<string, string> = {}
  for (const part of message.split(',')) {
    const at = part.indexOf('=')
    if (at === 1) attributes[part[0]!] = part.slice(2)
  }
  return attributes
}
