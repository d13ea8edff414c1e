/**
 * SASL OAUTHBEARER (RFC 7628) as Kafka runs it (KIP-255): the client sends its token, with optional
 * extensions (KIP-342). On rejection the broker answers with a JSON error document instead of failing at
 * once; the client acknowledges it with a lone separator byte and the broker then fails the exchange.
 */

import { ConfigError } from '../../common/errors.ts'
import type { SaslExchange } from './sasl-mechanism.ts'
import type { OAuthBearerToken, SaslOAuthBearerOptions } from './sasl-options.ts'

const SEPARATOR = '\x01'

export function oauthBearerExchange(provide: SaslOAuthBearerOptions['token']): SaslExchange {
  let step = 0
  let rejection: string | undefined
  return {
    respond: async (challenge) => {
      step++
      if (step === 1) return Buffer.from(initialResponse(normalize(await provide())), 'utf8')
      if (step === 2 && challenge !== undefined && challenge.length > 0) {
        // The broker's error document names what was wrong with the token (status, scope), never the token.
        rejection = describeServerError(challenge)
        return Buffer.from(SEPARATOR)
      }
      return null
    },
    describeFailure: () => rejection,
  }
}

function normalize(token: unknown): OAuthBearerToken {
  const value = typeof token === 'string' ? { value: token } : (token as OAuthBearerToken | null)
  if (typeof value?.value !== 'string' || value.value.length === 0) {
    throw new ConfigError('sasl.token', 'the token provider must return a non-empty string or { value }')
  }
  return value
}

function initialResponse(token: OAuthBearerToken): string {
  let extensions = ''
  for (const [key, value] of Object.entries(token.extensions ?? {})) {
    if (!/^[A-Za-z]+$/.test(key) || key === 'auth') {
      throw new ConfigError(
        'sasl.token',
        `extension name ${JSON.stringify(key)} must be letters only, not 'auth'`,
      )
    }
    if (hasControlCharacters(value)) {
      throw new ConfigError('sasl.token', `extension ${key} has control characters in its value`)
    }
    extensions += `${key}=${value}${SEPARATOR}`
  }
  return `n,,${SEPARATOR}auth=Bearer ${token.value}${SEPARATOR}${extensions}${SEPARATOR}`
}

function describeServerError(challenge: Buffer): string {
  try {
    const parsed = JSON.parse(challenge.toString('utf8')) as Record<string, unknown>
    const parts = [`status ${String(parsed.status ?? 'unknown')}`]
    if (typeof parsed.scope === 'string') parts.push(`scope ${parsed.scope}`)
    return `the broker rejected the token (${parts.join(', ')})`
  } catch {
    return 'the broker rejected the token'
  }
}

/** RFC 7628 allows tabs but no other control characters (the separator among them) in values. */
function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true
  }
  return false
}
